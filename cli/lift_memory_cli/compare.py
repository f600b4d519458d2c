"""`lift-memory compare NAME (--questions FILE.jsonl | "Q"...)`: every question in every mode,
side by side, scored when gold answers are given; ``--report DIR`` writes report.md,
report.json and chart.png."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.names import validate_memory_name
from lift_memory_cli.core.compare_report import write_report
from lift_memory_cli.core.comparison import answerable_modes, compare_row, comparison_report
from lift_memory_cli.core.memories import open_memory, read_complete_manifest
from lift_memory_cli.core.modes import DEFAULT_POLICY, DEFAULT_SCALING, parse_modes
from lift_memory_cli.core.questions import Question, read_questions
from lift_memory_cli.core.routing import needs_retrieval
from lift_memory_cli.errors import CliError, command
from lift_memory_cli.options import (
    HomeOption,
    MaxNewTokensOption,
    PolicyOption,
    ScalingOption,
    check_answer_options,
    store_of,
)
from lift_memory_cli.rendering import (
    human_seconds,
    print_json,
    status,
    stderr_console,
    stdout_console,
)

DEFAULT_MODES = "base,icl,memory,rag,hybrid,auto"


def _answer_cell(cell: dict[str, Any]) -> str:
    mark = {True: "[green]✓[/] ", False: "[red]✗[/] ", None: ""}[cell.get("correct")]
    route = (cell.get("route") or {}).get("route") if cell.get("mode") == "auto" else None
    shown = cell.get("chosen") or route  # the hybrid's arm, or auto mode's route
    chosen = f" [dim]({shown})[/]" if shown else ""
    return mark + escape(cell["answer"]) + chosen


def print_tables(report: dict[str, Any]) -> None:
    out = stdout_console()
    modes = report["modes"]
    table = Table(title=f"compare '{report['memory']}'", show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("question", ratio=2)
    table.add_column("gold", ratio=1)
    for mode in modes:
        table.add_column(mode, ratio=2)
    for index, row in enumerate(report["questions"], start=1):
        gold = " / ".join(row["gold"]) if row["gold"] else "-"
        table.add_row(
            str(index),
            row["question"],
            gold,
            *(_answer_cell(row["results"][m]) for m in modes),
        )
    out.print(table)
    summary = Table(title="per mode")
    for column in ("mode", "accuracy", "correct / scored", "mean latency", "p50 latency"):
        summary.add_column(column, justify="left" if column == "mode" else "right")
    for mode in modes:
        s = report["summary"][mode]
        accuracy = f"{s['accuracy']:.0%}" if s["accuracy"] is not None else "-"
        summary.add_row(
            mode,
            accuracy,
            f"{s['correct']} / {s['scored']}",
            human_seconds(s["mean_latency_s"]),
            human_seconds(s["p50_latency_s"]),
        )
    out.print(summary)


@command
def compare_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The memory to evaluate.", show_default=False)
    ],
    questions: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="QUESTION", help="Questions (or use --questions).", show_default=False
        ),
    ] = None,
    questions_file: Annotated[
        Path | None,
        typer.Option(
            "--questions",
            "-q",
            metavar="FILE",
            help='JSONL file: {"question": ..., "answer": ...} per line (answer optional).',
            show_default=False,
        ),
    ] = None,
    modes_text: Annotated[
        str,
        typer.Option(
            "--modes",
            metavar="MODES",
            help="Comma-separated modes to compare (rag and hybrid are dropped for a memory "
            "ingested with --no-rag; auto answers with the memory or the bare model, by the "
            "relevance threshold its ingest calibrated).",
        ),
    ] = DEFAULT_MODES,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="DIR",
            help="Write report.md, report.json and chart.png into this folder.",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    max_new_tokens: Annotated[int, MaxNewTokensOption] = ANSWER_MAX_NEW_TOKENS,
    policy: Annotated[str, PolicyOption] = DEFAULT_POLICY,
    scaling: Annotated[str, ScalingOption] = DEFAULT_SCALING,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Compare answer modes side by side.

    Every question is answered in every mode and scored against its gold answer, if given.
    """
    items: list[Question] = []
    if questions_file is not None:
        items += read_questions(questions_file)
    items += [Question(q.strip()) for q in questions or [] if q.strip()]
    if not items:
        raise CliError('no questions: give --questions FILE.jsonl or "QUESTION" arguments')
    modes = parse_modes(modes_text)
    check_answer_options(policy, scaling)
    validate_memory_name(name)
    store = store_of(ctx, home)
    console = stderr_console()
    quiet = json_output or not console.is_terminal
    manifest = read_complete_manifest(store, name)
    modes, dropped = answerable_modes(manifest, modes)
    if dropped and not json_output:
        console.print(f"[yellow]note:[/] no retrieval arm, skipping {', '.join(dropped)}")
    with status(console, f"loading memory '{name}'", show=not quiet):
        opened = open_memory(store, name, need_retrieval=needs_retrieval(manifest, modes))
    from lift_memory_cli.core.answerer import answering  # LlamaIndex: seconds

    rows: list[dict[str, Any]] = []
    with answering(
        opened, policy=policy, max_new_tokens=max_new_tokens, scaling=scaling
    ) as answerer:
        for index, item in enumerate(items, start=1):
            with status(console, f"question {index}/{len(items)}: {item.question}", show=not quiet):
                rows.append(compare_row(answerer, item, modes))
            if not json_output and not console.is_terminal:
                console.print(f"answered {index}/{len(items)}")

    report = comparison_report(opened.memory.manifest, modes, policy, rows)
    if report_dir is not None:
        report["files"] = write_report(report, report_dir)
    if json_output:
        print_json(report)
        return
    print_tables(report)
    if report_dir is not None:
        files = report["files"]
        stdout_console().print(f"report: {files['markdown']}, {files['json']}, {files['chart']}")
