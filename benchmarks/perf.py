"""Ingest throughput and ask latency as ratios (issue #6); see docs/benchmarks.md.

    .venv/bin/python benchmarks/perf.py [--quick] [--out reports/perf]

The measurements live in ``lift_memory_cli.perf`` so that ``lift-memory bench --perf`` runs the
same code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lift_memory_cli.perf import run_perf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny random model, seconds")
    parser.add_argument("--out", type=Path, default=Path("reports/perf"))
    args = parser.parse_args()
    run_perf(args.out, quick=args.quick)
    print((args.out / "perf.md").read_text())


if __name__ == "__main__":
    main()
