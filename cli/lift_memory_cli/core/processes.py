"""Which process of an ``accelerate launch`` run this is (`lift-memory ingest --processes N`).

Read from the launcher's environment (``WORLD_SIZE``, ``RANK``) only, so that a command run
alone pays no torch import to learn that it is alone.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lift_memory.distributed import DataParallel


def world_size() -> int:
    """Processes of the run this process belongs to (1 unless started by a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0") or 0) == 0


def join_data_parallel() -> DataParallel | None:
    """This process's place in an `accelerate launch` run (None when run alone); every process
    has checked the store when it returns, so the main one may start writing."""
    if world_size() == 1:
        return None
    from lift_memory.distributed import DataParallel  # torch.distributed

    parallel = DataParallel.from_environment()
    if parallel is not None:
        parallel.wait()
    return parallel
