"""`lift-memory ingest PATH... --name NAME`: files, folders or stdin → a parametric memory
(LIFT: segments, auxiliary QA, the adapter) and, unless --no-rag, its Chroma retrieval arm.

The pipeline is :mod:`lift_memory_cli.core.ingesting` (the server's ingest jobs run it too);
this module reads the options and the inputs, shows progress and prints the summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lift_memory_cli import launch
from lift_memory_cli.core.base_model import DEFAULT_MODEL
from lift_memory_cli.core.ingesting import IngestRequest, check_settings, ingest_documents
from lift_memory_cli.core.inputs import (
    DEFAULT_MAX_INPUT_MB,
    check_paths,
    max_input_bytes,
    read_inputs,
)
from lift_memory_cli.core.processes import is_main_process, world_size
from lift_memory_cli.core.qa_source import QASource
from lift_memory_cli.core.text import plural
from lift_memory_cli.errors import CliError, command
from lift_memory_cli.options import HomeOption, home_of, model_option, store_of
from lift_memory_cli.progress import Reporter
from lift_memory_cli.rendering import (
    human_bytes,
    human_seconds,
    print_json,
    stderr_console,
    stdout_console,
)
from lift_memory_cli.signals import sigterm_interrupts

# The summary's words for why training ended (``stopped_by`` in ``--json``).
STOP_EXPLAINED = {
    "target": "the target share of facts was learned",
    "plateau": "no more facts were being learned (learn_patience)",
    "epochs": "the maximum number of epochs",
}


def _print_summary(data: dict[str, Any]) -> None:
    out = stdout_console()
    rag = data["rag"]
    rag_text = (
        f"{plural(rag['chunks'], 'chunk')} in Chroma collection {rag['collection']}"
        if rag
        else "none"
    )
    loss = data["final_loss"]
    out.print(f"[bold green]memory '{data['name']}' is ready[/] ({human_seconds(data['seconds'])})")
    out.print(
        f"  corpus     {plural(len(data['documents']), 'document')}, "
        f"{plural(data['corpus_tokens'], 'token')}, {plural(data['segments'], 'segment')}, "
        f"{plural(data['qa_count'], 'QA pair')}"
    )
    tokens_per_s = data["tokens_per_s"] or 0.0
    loss_text = f"{loss:.3f}" if isinstance(loss, float) else "-"
    per_token = data.get("train_tokens_per_corpus_token")
    per_token_text = f" ({per_token:.0f} per corpus token)" if per_token else ""
    out.print(
        f"  training   {data['train_tokens']:,} tokens{per_token_text} at "
        f"{tokens_per_s:.0f} tokens/s, final loss {loss_text}"
    )
    if data.get("facts_total"):
        by_epoch = ", ".join(str(point["facts_learned"]) for point in data["learning_curve"])
        epochs_text = f" (after each epoch: {by_epoch})" if by_epoch else ""
        stop = STOP_EXPLAINED.get(data.get("stopped_by") or "")
        epochs_text += f"; stopped: {stop}" if stop else ""
        out.print(
            f"  recall     facts learned: {data['facts_learned']} / {data['facts_total']}"
            f"{epochs_text}"
        )
    out.print(f"  adapter    {human_bytes(data['adapter_bytes'])} on {data['model']}")
    out.print(f"  rag arm    {rag_text}")
    out.print(f'  ask it     lift-memory ask {data["name"]} "your question"')  # auto mode


@command
@sigterm_interrupts  # `kill PID` stops an ingest as cleanly as Ctrl-C: exit 130, resumable
def ingest_command(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH",
            help="Files or folders (.txt .md .pdf .html; folders recursively), or - for stdin.",
            show_default=False,
        ),
    ],
    name: Annotated[
        str,
        typer.Option(
            "--name", "-n", metavar="NAME", help="Name of the memory.", show_default=False
        ),
    ],
    model: Annotated[
        str,
        model_option(
            "Base model: a bundled id (smollm2-135m, gemma3-270m), a Hugging Face id or a "
            "local directory."
        ),
    ] = DEFAULT_MODEL,
    qa: Annotated[
        int | None,
        typer.Option(
            "--qa",
            metavar="N",
            min=0,
            help="Auxiliary QA pairs to generate [default: LiftConfig.qa_count].",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs",
            metavar="N",
            min=0,
            help="Epochs of stage 2, segments + QA [default: LiftConfig.stage2_epochs].",
            show_default=False,
        ),
    ] = None,
    stage1_epochs: Annotated[
        int | None,
        typer.Option(
            "--stage1-epochs",
            metavar="N",
            min=0,
            help="Epochs of stage 1, segments only [default: LiftConfig.stage1_epochs].",
            show_default=False,
        ),
    ] = None,
    segment_length: Annotated[
        int | None,
        typer.Option(
            "--segment-length",
            metavar="N",
            min=16,
            help="Tokens per segment [default: LiftConfig.segment_length].",
            show_default=False,
        ),
    ] = None,
    segment_stride: Annotated[
        int | None,
        typer.Option(
            "--segment-stride",
            metavar="N",
            min=1,
            help="Tokens between segment starts [default: LiftConfig.segment_stride].",
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE|JSON",
            help="LiftConfig fields: a JSON file, or a JSON object inline; the options above "
            "override it. The settings in effect are kept in the manifest.",
            show_default=False,
        ),
    ] = None,
    qa_file: Annotated[
        Path | None,
        typer.Option(
            "--qa-file",
            metavar="FILE",
            help='Your own QA pairs: JSON lines of {"question", "answer", "evidence"?} '
            "(qa_generator jsonl).",
            show_default=False,
        ),
    ] = None,
    qa_endpoint: Annotated[
        str | None,
        typer.Option(
            "--qa-endpoint",
            metavar="URL",
            help="Write the QA pairs with an OpenAI-compatible server (llama.cpp, vLLM, Ollama, "
            "OpenAI; base URL, e.g. http://localhost:8080/v1; key in LIFT_MEMORY_QA_API_KEY).",
            show_default=False,
        ),
    ] = None,
    qa_model: Annotated[
        str | None,
        typer.Option(
            "--qa-model",
            metavar="NAME",
            help="The model --qa-endpoint writes the QA pairs with.",
            show_default=False,
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device",
            metavar="DEVICE",
            help="auto, cpu, cuda, cuda:N or mps [default: cuda when available].",
            show_default=False,
        ),
    ] = None,
    dtype: Annotated[
        str,
        typer.Option(
            "--dtype",
            metavar="DTYPE",
            help="The base model's dtype: auto (bfloat16 on a GPU that has it, else float32), "
            "float32, bfloat16 or float16.",
        ),
    ] = "auto",
    rag: Annotated[
        bool, typer.Option("--rag/--no-rag", help="Also build the Chroma retrieval arm.")
    ] = True,
    chroma_url: Annotated[
        str | None,
        typer.Option(
            "--chroma-url",
            metavar="URL",
            envvar="LIFT_MEMORY_CHROMA_URL",
            help="Chroma server for the retrieval arm (default: embedded, in the memory's folder).",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted ingest (or --overwrite) from its last checkpoint.",
        ),
    ] = False,
    max_input_mb: Annotated[
        float,
        typer.Option(
            "--max-input-mb",
            metavar="MB",
            min=0,
            help="Refuse inputs larger than this in total, before reading them (0: no limit).",
        ),
    ] = DEFAULT_MAX_INPUT_MB,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace an existing memory: the new one is built beside it, and the old one "
            "answers until the new one is complete.",
        ),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary and no progress.")
    ] = False,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            metavar="N",
            min=1,
            help="Train on N processes through `accelerate launch` (one GPU each, or CPU "
            "processes); batches are split between them.",
        ),
    ] = 1,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Internalize files, folders or stdin into a new memory.

    Builds the parametric memory (LIFT) and, unless --no-rag, its Chroma retrieval arm.
    """
    started = time.perf_counter()
    max_bytes = max_input_bytes(max_input_mb)
    check_paths(paths, max_bytes)  # a missing or oversized path fails before any heavy import
    if resume and overwrite:
        raise CliError("--resume and --overwrite contradict each other; choose one")
    qa_source = QASource(
        file=qa_file.expanduser().resolve() if qa_file else None,
        endpoint=qa_endpoint,
        model=qa_model,
    )
    if processes > 1 and world_size() == 1:  # the same command under accelerate launch
        if "-" in paths:
            raise CliError("--processes reads the inputs in every process: give files, not -")
        raise typer.Exit(launch.relaunch(ctx, processes, home_of(ctx, home)))
    overrides = {
        "qa_count": qa,
        "stage2_epochs": epochs,
        "stage1_epochs": stage1_epochs,
        "segment_length": segment_length,
        "segment_stride": segment_stride,
    }
    if not resume:  # settings and QA options fail here, before inputs and model are read
        check_settings(config_file, overrides, qa_source, device=device, dtype=dtype)
    # under accelerate launch only the main process reports
    with Reporter(stderr_console(), quiet=json_output or not is_main_process()) as report:
        # Inputs first: reading them needs LlamaIndex but not yet the model (torch), so an
        # empty, binary or undecodable file is reported in a couple of seconds.
        report.stage("reading inputs")
        documents = read_inputs(paths, max_bytes=max_bytes, warn=report.warn)
        characters = sum(len(d.text) for d in documents)
        report.done(f"read {plural(len(documents), 'document')} ({characters:,} characters)")
        request = IngestRequest(
            name=name,
            documents=documents,
            model=model,
            config_file=config_file,
            config=overrides,
            rag=rag,
            chroma_url=chroma_url,
            resume=resume,
            overwrite=overwrite,
            qa=qa_source,
            device=device,
            dtype=dtype,
        )
        data = ingest_documents(store_of(ctx, home), request, report, started=started)
    if data is None:
        return  # another process of an accelerate launch run: the main one reports
    if json_output:
        print_json(data)
    else:
        _print_summary(data)
