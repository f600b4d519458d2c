"""What the machine itself offers: dense matmul FLOP/s (the ceiling) and the peak RSS so far."""

from __future__ import annotations

import resource
import sys
import time

import torch


def matmul_flops_per_s(seconds: float = 2.0, size: int = 1024) -> float:
    """Dense float32 matmul throughput of this machine with the current thread setting."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):  # warm-up
        a @ b
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        runs += 1
    return 2 * size**3 * runs / (time.perf_counter() - started)


def peak_rss_bytes() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
