"""Ingest throughput and ask latency as ratios; see docs/benchmarks.md § Speed.

    .venv/bin/python -m lift_memory_bench.perf [--quick] [--out reports/perf]

The same measurements as ``lift-memory bench --perf``, without the CLI.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lift_memory_bench.perf.run import run_perf


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lift_memory_bench.perf", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny random model, seconds")
    parser.add_argument("--out", type=Path, default=Path("reports/perf"))
    args = parser.parse_args()
    run_perf(args.out, quick=args.quick)
    print((args.out / "perf.md").read_text())


if __name__ == "__main__":
    main()
