"""`lift-memory ask NAME "QUESTION" --mode auto|memory|rag|hybrid|icl|base`: one answer.

The answer goes to stdout; how it was reached (mode, latency, confidence, the route auto mode
took and why, the hybrid router's choice, retrieved sources) to stderr, or everything as one
JSON object with --json.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.names import validate_memory_name
from lift_memory_cli.core.choices import check_choice
from lift_memory_cli.core.memories import open_memory, read_complete_manifest
from lift_memory_cli.core.modes import DEFAULT_MODE, DEFAULT_POLICY, DEFAULT_SCALING, MODES
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
from lift_memory_cli.rendering import fmt_float, human_seconds, print_json, status, stderr_console

if TYPE_CHECKING:
    from lift_memory_cli.core.answerer import ModeResult


def _details(result: ModeResult) -> list[str]:
    lines = [
        f"[dim]{result.mode} · {human_seconds(result.latency_s)} · confidence "
        f"{fmt_float(result.confidence)}"
        + (f" · gate {fmt_float(result.mean_gate)}" if result.mean_gate is not None else "")
        + "[/]"
    ]
    if result.route is not None:
        lines.append(f"[dim]route {result.route['route']}: {escape(result.route['reason'])}[/]")
    if result.mode == "hybrid":
        lines.append(f"[dim]chose {result.chosen}: {result.reason}[/]")
        for arm, data in result.arms.items():
            lines.append(
                f"[dim]  {arm:<9} {data['answer']!r} (confidence {fmt_float(data['confidence'])})[/]"
            )
    for source in result.sources or []:
        text = " ".join(str(source.get("text", "")).split())
        lines.append(
            f"[dim]  source {source.get('source')} (similarity "
            f"{fmt_float(source.get('similarity'))}): {text[:100]}…[/]"
        )
    return lines


@command
def ask_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The memory to ask.", show_default=False)
    ],
    question: Annotated[
        str, typer.Argument(metavar="QUESTION", help="The question.", show_default=False)
    ],
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            metavar="MODE",
            help="auto: the memory for questions about its corpus, the bare model for the rest; "
            "memory: the memory alone; rag: Chroma retrieval, memory off; hybrid: memory, "
            "retrieval and both together, the router picks; icl: truncated corpus in context, "
            "memory off; base: the bare model.",
        ),
    ] = DEFAULT_MODE,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    max_new_tokens: Annotated[int, MaxNewTokensOption] = ANSWER_MAX_NEW_TOKENS,
    policy: Annotated[str, PolicyOption] = DEFAULT_POLICY,
    scaling: Annotated[str, ScalingOption] = DEFAULT_SCALING,
    top_k: Annotated[
        int, typer.Option("--top-k", metavar="K", min=1, help="Chunks retrieved for rag / hybrid.")
    ] = 2,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Ask a memory a question, in one of six modes."""
    mode = check_choice(mode.strip().lower(), MODES, "mode")
    check_answer_options(policy, scaling)
    if not question.strip():
        raise CliError("the question is empty")
    validate_memory_name(name)
    store = store_of(ctx, home)
    console = stderr_console()
    show = console.is_terminal and not json_output
    with status(console, f"loading memory '{name}'", show=show):
        retrieval = needs_retrieval(read_complete_manifest(store, name), [mode])
        opened = open_memory(store, name, need_retrieval=retrieval)
    from lift_memory_cli.core.answerer import answering  # LlamaIndex: seconds

    with (
        answering(
            opened, policy=policy, max_new_tokens=max_new_tokens, top_k=top_k, scaling=scaling
        ) as answerer,
        status(console, "thinking", show=show),
    ):
        result = answerer.answer(question, [mode])[mode]
    if json_output:
        data: dict[str, Any] = {"memory": name, "question": question, **result.to_json()}
        data["load_s"] = opened.load_s
        print_json(data)
        return
    typer.echo(result.answer)
    for line in _details(result):
        console.print(line)
