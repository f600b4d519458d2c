"""`lift-memory ingest PATH... --name NAME`: files, folders or stdin → a parametric memory
(LIFT: segments, auxiliary QA, Gated Memory) and, unless --no-rag, its Chroma retrieval arm."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lift_memory_cli import launch
from lift_memory_cli.context import (
    DEFAULT_MODEL,
    HomeOption,
    load_base_model,
    open_store,
    rag_info,
    require_embeddings,
    resolve_home,
    resume_command,
    retrieval_arm,
)
from lift_memory_cli.errors import EXIT_INTERRUPTED, CliError, command, print_error
from lift_memory_cli.inputs import (
    DEFAULT_MAX_INPUT_MB,
    InputText,
    check_paths,
    max_input_bytes,
    read_inputs,
)
from lift_memory_cli.progress import Reporter
from lift_memory_cli.rendering import (
    human_bytes,
    human_seconds,
    plural,
    print_json,
    stderr_console,
    stdout_console,
)
from lift_memory_cli.signals import sigterm_interrupts

if TYPE_CHECKING:
    from lift_memory import LiftConfig, LoadedModel, Manifest, MemoryStore


def build_config(config_file: Path | None, overrides: dict[str, Any]) -> LiftConfig:
    """LiftConfig defaults, then a JSON file of LiftConfig fields, then the command's options."""
    from lift_memory.config import LiftConfig

    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = json.loads(Path(config_file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CliError(f"no such config file: {config_file}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CliError(f"config file {config_file} is not valid JSON ({error})") from None
        if not isinstance(loaded, dict):
            raise CliError(
                f"config file {config_file} must hold a JSON object of LiftConfig fields"
            )
        values.update(loaded)
    values.update({key: value for key, value in overrides.items() if value is not None})
    return LiftConfig.model_validate(values)


def count_segments(token_counts: list[int], length: int, stride: int) -> int:
    from lift_memory.segments import segment_spans

    return sum(len(segment_spans(tokens, length, stride)) for tokens in token_counts)


def _documents(texts: list[InputText]) -> list[Any]:
    from lift_memory.segments import Document

    return [Document(t.source, t.text) for t in texts]


def build_rag_arm(
    store: MemoryStore,
    name: str,
    documents: list[Any],
    *,
    url: str | None,
    fresh: bool,
) -> dict[str, Any]:
    """Chunk, embed and store the documents in the memory's Chroma collection; record it in
    the manifest's ``extra["rag"]``. Returns ``arm.describe()``."""
    from lift_memory.phases import mark

    with store.lock(name):
        mark("chroma")
        store.remove_leftovers(name)  # e.g. a manifest temp file of a build that was killed
        manifest = store.read_manifest(name)
        local = store.chroma_dir(name)
        if not url and rag_info(manifest) is None and local.exists():
            # Left by a build that was killed before the manifest recorded it: maybe torn
            # (Chroma's index files are not written atomically). Rebuild it from scratch.
            shutil.rmtree(local)
        arm = retrieval_arm(store, name, {"url": url} if url else None)
        if fresh and url:  # a server collection outlives the memory directory: start clean
            with contextlib.suppress(Exception):  # there was no such collection
                arm.delete_collection()
        arm.add_documents(documents)
        described = arm.describe()
        manifest = store.read_manifest(name)
        store.write_manifest(
            manifest.model_copy(update={"extra": {**manifest.extra, "rag": described}})
        )
    return described


def summary(
    manifest: Manifest, store: MemoryStore, *, segments: int, rag: dict | None, seconds: float
) -> dict[str, Any]:
    metrics = manifest.metrics
    return {
        "name": manifest.name,
        "status": manifest.status,
        "home": str(store.home),
        "path": str(store.path(manifest.name)),
        "model": manifest.base_model,
        "adapter": manifest.adapter_kind,
        "documents": [
            {"source": d.source, "tokens": d.tokens, "chars": d.chars} for d in manifest.documents
        ],
        "corpus_tokens": sum(d.tokens for d in manifest.documents),
        "segments": segments,
        "qa_count": manifest.qa_count,
        "train_tokens": int(metrics.get("train_tokens", 0) or 0),
        "tokens_per_s": metrics.get("train_tokens_per_s"),
        "final_loss": metrics.get("final_loss"),
        "adapter_bytes": manifest.adapter_bytes,
        "seconds": seconds,
        "rag": rag,
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
    out.print(
        f"  training   {data['train_tokens']:,} tokens at {tokens_per_s:.0f} tokens/s, "
        f"final loss {loss_text}"
    )
    out.print(f"  adapter    {human_bytes(data['adapter_bytes'])} on {data['model']}")
    out.print(f"  rag arm    {rag_text}")
    out.print(f'  ask it     lift-memory ask {data["name"]} "your question" --mode hybrid')


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
        typer.Option(
            "--model",
            "-m",
            metavar="MODEL",
            help="Base model: a bundled id (smollm2-135m, gemma3-270m), a Hugging Face id or a "
            "local directory.",
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
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="JSON file of LiftConfig fields; the options above override it. The settings "
            "in effect are printed before training and kept in the manifest.",
            show_default=False,
        ),
    ] = None,
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
        typer.Option("--resume", help="Continue an interrupted ingest from its last checkpoint."),
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
        bool, typer.Option("--overwrite", help="Replace an existing memory.")
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
    if processes > 1 and launch.world_size() == 1:  # the same command under accelerate launch
        if "-" in paths:
            raise CliError("--processes reads the inputs in every process: give files, not -")
        raise typer.Exit(launch.relaunch(ctx, processes, resolve_home(ctx, home)))
    main = launch.is_main_process()  # under accelerate launch only the main process reports
    overrides = {
        "qa_count": qa,
        "stage2_epochs": epochs,
        "stage1_epochs": stage1_epochs,
        "segment_length": segment_length,
        "segment_stride": segment_stride,
    }
    with Reporter(stderr_console(), quiet=json_output or not main) as report:
        # Inputs first: reading them needs LlamaIndex but not yet the engine (torch), so an
        # empty, binary or undecodable file is reported in a couple of seconds.
        report.stage("reading inputs")
        texts = read_inputs(paths, max_bytes=max_bytes, warn=report.warn)
        characters = sum(len(t.text) for t in texts)
        report.done(f"read {plural(len(texts), 'document')} ({characters:,} characters)")

        from lift_memory.store import validate_memory_name

        validate_memory_name(name)
        store = open_store(ctx, home)
        existing = _existing_manifest(store, name, resume=resume, overwrite=overwrite)
        parallel = _data_parallel()  # before the model loads: it picks this process's GPU
        resuming = resume and existing is not None
        config = None if resuming else build_config(config_file, overrides)
        if rag:
            require_embeddings()
        documents = _documents(texts)

        # A complete memory whose RAG arm was never built (--no-rag, or interrupted right
        # before it): --resume only adds the arm.
        if resume and existing is not None and existing.status == "complete":
            if not rag or rag_info(existing) is not None:
                raise CliError(f"memory '{name}' is already complete; nothing to resume")
            if not main:
                return
            report.stage("building the Chroma retrieval arm")
            described = build_rag_arm(store, name, documents, url=chroma_url, fresh=False)
            manifest = store.read_manifest(name)
            data = summary(
                manifest,
                store,
                segments=_segments_of(manifest),
                rag=described,
                seconds=time.perf_counter() - started,
            )
            report.done(f"built the Chroma retrieval arm: {plural(described['chunks'], 'chunk')}")
            _finish(data, json_output)
            return

        model_id = existing.base_model if resuming and existing else model
        report.stage(f"loading model {model_id}")
        loaded = load_base_model(model_id, store.home)
        effective = config or _config_of(existing)
        token_counts = [
            len(loaded.tokenizer(d.text, add_special_tokens=False)["input_ids"]) for d in documents
        ]
        segments = count_segments(token_counts, effective.segment_length, effective.segment_stride)
        report.done(f"loaded model {model_id}")
        report.note(
            f"  corpus: {sum(token_counts):,} tokens → {segments} segments of "
            f"{effective.segment_length} tokens (stride {effective.segment_stride}); "
            f"{effective.stage1_epochs} + {effective.stage2_epochs} epochs, "
            f"{effective.qa_count} QA pairs"
        )
        result = _run_ingest(
            documents,
            name,
            store,
            loaded,
            config,
            resume=resume,
            overwrite=overwrite,
            report=report,
            parallel=parallel,
        )
        if not main:
            return  # the main process builds the retrieval arm and reports
        described = None
        if rag:
            report.stage("building the Chroma retrieval arm")
            try:
                described = build_rag_arm(
                    store, name, documents, url=chroma_url, fresh=not resuming
                )
            except Exception as error:
                if not chroma_url:
                    raise
                manifest = store.read_manifest(name)
                raise CliError(
                    f"memory '{name}' is trained, but the Chroma server at {chroma_url} failed "
                    f"({type(error).__name__}: {error}); start it (`chroma run --port 8000`) "
                    f"and add the retrieval arm with `{resume_command(manifest)} "
                    f"--chroma-url {chroma_url}`"
                ) from None
            report.done(
                f"built the Chroma retrieval arm: {plural(described['chunks'], 'chunk')} "
                f"({described['collection']})"
            )
        manifest = store.read_manifest(name)
    from lift_memory.phases import mark

    mark("finish")
    data = summary(
        manifest, store, segments=segments, rag=described, seconds=time.perf_counter() - started
    )
    data["resumed_from_step"] = result.train.resumed_from_step
    _finish(data, json_output)


def _data_parallel() -> Any:
    """This process's place in an `accelerate launch` run (None when run alone); every process
    has checked the store when it returns, so the main one may start writing."""
    if launch.world_size() == 1:
        return None
    from lift_memory.distributed import DataParallel

    parallel = DataParallel.from_environment()
    if parallel is not None:
        parallel.wait()
    return parallel


def _existing_manifest(
    store: MemoryStore, name: str, *, resume: bool, overwrite: bool
) -> Manifest | None:
    """The manifest of a memory already called ``name`` (None if there is none, or if it is
    unreadable and about to be overwritten)."""
    from lift_memory.errors import CorruptMemory

    if not store.exists(name):
        return None
    # An ingest of this memory running right now wins over every other message: MemoryLocked
    # names its pid, where "already exists; use --resume" would send the user into the lock.
    with store.lock(name):
        pass
    if not (resume or overwrite):
        raise CliError(
            f"memory '{name}' already exists; continue it with --resume, replace it with "
            f"--overwrite, or delete it with `lift-memory rm {name}`"
        )
    try:
        return store.read_manifest(name)
    except CorruptMemory:
        if overwrite:
            return None
        raise


def _finish(data: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(data)
    else:
        _print_summary(data)


def _config_of(manifest: Manifest | None) -> LiftConfig:
    from lift_memory.config import LiftConfig

    return LiftConfig.model_validate(manifest.config if manifest else {})


def _segments_of(manifest: Manifest) -> int:
    config = _config_of(manifest)
    return count_segments(
        [d.tokens for d in manifest.documents], config.segment_length, config.segment_stride
    )


def _run_ingest(
    documents: list[Any],
    name: str,
    store: MemoryStore,
    loaded: LoadedModel,
    config: LiftConfig | None,
    *,
    resume: bool,
    overwrite: bool,
    report: Reporter,
    parallel: Any = None,
) -> Any:
    from lift_memory.ingest import ingest

    try:
        return ingest(
            documents,
            name,
            store=store,
            model=loaded,
            config=config,
            resume=resume,
            overwrite=overwrite,
            on_progress=report.train,
            on_stage=report.stage,
            parallel=parallel,
        )
    except KeyboardInterrupt:
        report.__exit__(KeyboardInterrupt, None, None)
        hint = ""
        if store.exists(name):
            manifest = store.read_manifest(name)
            if manifest.status != "complete":
                hint = f"; continue with `{resume_command(manifest)}`"
        print_error(f"interrupted: memory '{name}' is incomplete{hint}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
