"""Run the crash-safety harness and write reports/crash_safety/report.json and report.md.

.venv/bin/python -m lift_memory_bench.crash_safety --trials 24 --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from lift_memory_bench import crash_safety
from lift_memory_bench.crash_safety.report import markdown
from lift_memory_bench.crash_safety.run import run_all
from lift_memory_bench.crash_safety.targets import DEFAULT_TARGETS

DESCRIPTION = crash_safety.__doc__.split("\n\n")[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lift_memory_bench.crash_safety", description=DESCRIPTION
    )
    parser.add_argument("--trials", type=int, default=24, help="SIGKILL trials (default 24)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runner", choices=("exec", "fork"), default="exec")
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS), help="phases, cycled")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds slept per marker")
    parser.add_argument(
        "--rag",
        choices=("always", "chroma"),
        default="always",
        help="build the RAG arm in every ingest, or only in trials aimed at the Chroma phase",
    )
    parser.add_argument(
        "--signals", default="SIGTERM,SIGINT", help="graceful-stop trials during training"
    )
    parser.add_argument(
        "--overwrite-trials",
        type=int,
        default=7,
        help="SIGKILLs of `ingest --overwrite`, one phase after another (default 7: each once)",
    )
    parser.add_argument("--work", type=Path, default=None, help="work directory (kept)")
    parser.add_argument(
        "--report-dir", type=Path, default=Path("reports/crash_safety"), help="JSON + Markdown"
    )
    args = parser.parse_args(argv)
    report = run_all(
        args.trials,
        seed=args.seed,
        runner=args.runner,
        targets=[t for t in args.targets.split(",") if t],
        signals=[s for s in args.signals.split(",") if s],
        overwrite_trials=args.overwrite_trials,
        delay=args.delay,
        rag=args.rag,
        work=args.work,
        command=" ".join(
            [".venv/bin/python", "-m", "lift_memory_bench.crash_safety", *(argv or sys.argv[1:])]
        ),
    )
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.report_dir / "report.md").write_text(markdown(report))
    print(markdown(report))
    print(json.dumps(report["summary"], indent=2))
    overwrites_ok = report["overwrite_summary"]["all_ok"]
    return (
        0
        if report["summary"]["all_ok"] and report["summary"]["memories_lost"] == 0 and overwrites_ok
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
