"""The ingest pipeline of `lift-memory ingest` and of the server's ingest jobs: documents → the
engine's ingest (LIFT: segments, auxiliary QA, the adapter) → the Chroma retrieval arm → the
summary that ``ingest --json`` prints.

Reading the inputs is the caller's (files and folders for the command, request bodies for the
server); progress goes to an :class:`IngestEvents`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lift_memory.config import LiftConfig
from lift_memory.errors import CorruptMemory
from lift_memory.manifest import LEARNING_CURVE_KEY, STOPPED_BY_KEY
from lift_memory.model_registry import DEFAULT_MODEL
from lift_memory.names import validate_memory_name
from lift_memory.phases import mark
from lift_memory.segments import segment_spans
from lift_memory_cli.core.base_model import load_base_model, local_model_path
from lift_memory_cli.core.devices import check_device, check_dtype
from lift_memory_cli.core.errors import IngestInterrupted, ServiceError
from lift_memory_cli.core.json_values import read_json_object
from lift_memory_cli.core.memories import resume_command
from lift_memory_cli.core.processes import is_main_process, join_data_parallel
from lift_memory_cli.core.qa_source import QASource, check_qa_source
from lift_memory_cli.core.rag_arm import build_rag_arm, rag_info, require_embeddings
from lift_memory_cli.core.routing import routing_info, routing_is_current
from lift_memory_cli.core.routing_calibration import routing_step
from lift_memory_cli.core.text import plural

if TYPE_CHECKING:
    from lift_memory.distributed import DataParallel
    from lift_memory.documents import Document
    from lift_memory.ingest import IngestResult
    from lift_memory.manifest import Manifest
    from lift_memory.models import LoadedModel
    from lift_memory.qa.base import QAGenerator
    from lift_memory.store import MemoryStore
    from lift_memory.train import TrainProgress


class IngestEvents(Protocol):
    """Where an ingest reports: phases, one-line results and training steps."""

    def stage(self, message: str) -> None:
        """A new phase starts (the previous one is done)."""

    def done(self, message: str) -> None:
        """The current phase finished with this result."""

    def note(self, message: str) -> None:
        """A detail worth showing a person."""

    def train(self, progress: TrainProgress) -> None:
        """One optimizer step of the LIFT trainer finished."""


@dataclass(frozen=True)
class IngestRequest:
    """What to ingest and how: the options of `lift-memory ingest`, the body of
    ``POST /v1/memories``."""

    name: str
    documents: list[Document]
    model: str = DEFAULT_MODEL
    config_file: Path | str | None = None
    """A JSON file of LiftConfig fields, or a JSON object given inline, under ``config``."""
    config: dict[str, Any] = field(default_factory=dict)
    """LiftConfig fields; None values are left to the file or the defaults."""
    rag: bool = True
    chroma_url: str | None = None
    resume: bool = False
    overwrite: bool = False
    qa: QASource = field(default_factory=QASource)
    """A QA file or endpoint of the user's (``--qa-file``, ``--qa-endpoint``/``--qa-model``)."""
    device: str | None = None
    """Where the base model trains (None: CUDA when available)."""
    dtype: str = "auto"
    """The base model's dtype (``auto``: bfloat16 on a GPU that has it, else float32)."""


def build_config(config_file: Path | str | None, overrides: dict[str, Any]) -> LiftConfig:
    """LiftConfig defaults, then a JSON file (or an inline JSON object) of LiftConfig fields,
    then the command's options."""
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(read_json_object(config_file, "LiftConfig fields"))
    values.update({key: value for key, value in overrides.items() if value is not None})
    return LiftConfig.model_validate(values)


def check_settings(
    config_file: Path | str | None,
    overrides: dict[str, Any],
    qa: QASource,
    *,
    device: str | None = None,
    dtype: str = "auto",
) -> LiftConfig:
    """The settings of a new ingest, checked before anything heavy runs: the config, that the
    QA options agree with it (and the QA file parses, the endpoint answers), the device and
    dtype names."""
    check_device(device)
    check_dtype(dtype)
    config = build_config(config_file, {**overrides, **qa.settings()})
    check_qa_source(qa, config.qa_generator)
    from lift_memory_cli.core.qa_source import qa_generator_for

    qa_generator_for(qa)  # the file read through, the endpoint asked: errors come now
    return config


def count_segments(token_counts: list[int], length: int, stride: int) -> int:
    return sum(len(segment_spans(tokens, length, stride)) for tokens in token_counts)


def ingest_documents(
    store: MemoryStore, request: IngestRequest, events: IngestEvents, *, started: float
) -> dict[str, Any] | None:
    """Ingest ``request`` into ``store``; the summary of the memory (``started`` is when the
    caller began, a ``time.perf_counter()``), or None in a process that is not the main one of
    an ``accelerate launch`` run.

    ``resume`` of a complete memory whose retrieval arm was never built (``--no-rag``, or
    interrupted right before it) only builds the arm.

    ``overwrite`` of an existing memory builds the new one beside it, in the store's
    replacement area, and swaps it in atomically once complete: the old memory answers until
    then, and an interrupted or failed re-ingest leaves it as it was; ``resume`` continues the
    replacement. With a Chroma server the new arm is built after the swap (the collection
    keeps its name, so it cannot be built beside the old one).
    """
    name = validate_memory_name(request.name)
    existing = _existing_manifest(store, name, resume=request.resume, overwrite=request.overwrite)
    main = is_main_process()
    replacement = _replacement(store, name, request, checked=main) if main else None
    parallel = join_data_parallel()  # before the model loads: it picks this process's GPU
    if not main:  # the main process has settled the staging area: read what it left
        replacement = _replacement(store, name, request, checked=False)
    if replacement is None:
        data = _pipeline(
            store,
            request,
            existing,
            events,
            parallel=parallel,
            main=main,
            started=started,
            models_home=store.home,
        )
        if data is not None:
            mark("finish")
        return data

    staged = dataclasses.replace(
        request,
        resume=request.resume,
        overwrite=not request.resume,
        rag=request.rag and not request.chroma_url,
    )
    with store.lock(name) if main else contextlib.nullcontext():  # no rm, no other ingest
        staged_existing = _existing_manifest(
            replacement, name, resume=staged.resume, overwrite=staged.overwrite
        )
        data = _pipeline(
            replacement,
            staged,
            staged_existing,
            events,
            parallel=parallel,
            main=main,
            started=started,
            models_home=store.home,
            replacing=True,
        )
        if data is None:
            return None
        events.stage(f"replacing memory '{name}' with its new version")
        data["rag"] = _record_arm_at(replacement, name, store.chroma_dir(name)) or data["rag"]
        mark("swap")
        store.swap_in(name, replacement)
        events.done(f"replaced memory '{name}' with its new version")
    if request.rag and request.chroma_url:
        events.stage("building the Chroma retrieval arm")
        data["rag"] = _build_rag_arm(store, request, fresh=True)
        events.done(f"built the Chroma retrieval arm: {plural(data['rag']['chunks'], 'chunk')}")
        model_id = store.read_manifest(name).base_model
        load = partial(
            load_base_model, model_id, store.home, device=request.device, dtype=request.dtype
        )
        data["routing"] = routing_step(store, name, events, load)
    data.update(home=str(store.home), path=str(store.path(name)))
    mark("finish")
    return data


def _record_arm_at(store: MemoryStore, name: str, chroma_dir: Path) -> dict[str, Any] | None:
    """Record the folder an embedded Chroma arm will have once its memory is swapped in."""
    manifest = store.read_manifest(name)
    info = rag_info(manifest)
    if info is None or info.get("url"):
        return None
    info = {**info, "path": str(chroma_dir)}
    store.write_manifest(manifest.model_copy(update={"extra": {**manifest.extra, "rag": info}}))
    return info


def _replacement(
    store: MemoryStore, name: str, request: IngestRequest, *, checked: bool
) -> MemoryStore | None:
    """The store an ``overwrite`` builds its new memory in, or where a ``resume`` continues an
    interrupted one; None when the ingest goes straight into ``store``. ``checked``: settle
    the staging area first (the main process; the others then read what it left)."""
    if not (request.resume or request.overwrite) or not store.exists(name):
        return None
    if checked:
        pending = store.pending_replacement(name)
    else:
        candidate = store.replacement_store(name)
        pending = candidate if candidate.exists(name) else None
    if request.resume:
        return pending
    return store.replacement_store(name)


def _pipeline(
    store: MemoryStore,
    request: IngestRequest,
    existing: Manifest | None,
    events: IngestEvents,
    *,
    parallel: DataParallel | None,
    main: bool,
    started: float,
    models_home: Path,
    replacing: bool = False,
) -> dict[str, Any] | None:
    """Settings, model, training and retrieval arm of one ingest into ``store`` (a memory's
    replacement store when ``replacing``); ``models_home`` keeps the model caches."""
    name = request.name
    resuming = request.resume and existing is not None
    config = None
    if not resuming:
        config = check_settings(
            request.config_file,
            request.config,
            request.qa,
            device=request.device,
            dtype=request.dtype,
        )
    if request.rag:
        require_embeddings()
    if request.resume and existing is not None and existing.status == "complete":
        if not request.rag or (rag_info(existing) and routing_is_current(existing)):
            if replacing:  # trained and built, killed before the swap: only the swap is left
                return _finished(store, existing, rag=rag_info(existing), started=started)
            raise ServiceError(f"memory '{name}' is already complete; nothing to resume")
        if not main:
            return None
        # the arm and the routing calibration (built after it; or made under an older relevance
        # rule) are all that is missing
        data = (
            _finished(store, existing, rag=rag_info(existing), started=started)
            if rag_info(existing)
            else _add_rag_arm(store, request, events, started=started)
        )
        load = partial(
            load_base_model,
            existing.base_model,
            models_home,
            device=request.device,
            dtype=request.dtype,
        )
        data["routing"] = routing_step(store, name, events, load)
        return data
    qa_generator = _qa_generator(store, name, request, config or _config_of(existing))

    model_id = existing.base_model if resuming and existing else local_model_path(request.model)
    events.stage(f"loading model {model_id}")
    loaded = load_base_model(model_id, models_home, device=request.device, dtype=request.dtype)
    effective = config or _config_of(existing)
    token_counts = [
        len(loaded.tokenizer(d.text, add_special_tokens=False)["input_ids"])
        for d in request.documents
    ]
    segments = count_segments(token_counts, effective.segment_length, effective.segment_stride)
    events.done(f"loaded model {model_id}")
    from lift_memory.ingest import default_qa_generator  # the model code (torch)

    stage2 = (
        f"at most {effective.stage2_epochs}" if effective.learn_until else effective.stage2_epochs
    )
    events.note(
        f"  corpus: {sum(token_counts):,} tokens → {segments} segments of "
        f"{effective.segment_length} tokens (stride {effective.segment_stride}); "
        f"{effective.stage1_epochs} + {stage2} epochs, "
        f"{_qa_plan(qa_generator or default_qa_generator(loaded, effective), effective)}, "
        f"a {effective.adapter} adapter"
    )
    result = _train(store, request, loaded, config, qa_generator, events, parallel, replacing)
    if not main:
        return None  # the main process builds the retrieval arm and reports
    described = None
    if request.rag:
        events.stage("building the Chroma retrieval arm")
        described = _build_rag_arm(store, request, fresh=not resuming)
        events.done(
            f"built the Chroma retrieval arm: {plural(described['chunks'], 'chunk')} "
            f"({described['collection']})"
        )
        routing_step(store, name, events, lambda: loaded)
    manifest = store.read_manifest(name)
    data = summary(
        manifest, store, segments=segments, rag=described, seconds=time.perf_counter() - started
    )
    data["resumed_from_step"] = result.train.resumed_from_step
    return data


def _qa_generator(
    store: MemoryStore, name: str, request: IngestRequest, config: LiftConfig
) -> QAGenerator | None:
    """The user's QA file or endpoint, checked; None when the settings' own generator writes
    the pairs, or a resumed ingest has them already."""
    from lift_memory_cli.core.qa_source import qa_generator_for

    if request.resume and store.qa_path(name).exists():
        return None  # generated before the interruption: kept in the memory's folder
    if request.resume:
        check_qa_source(request.qa, config.qa_generator)  # the options it was started with
    # a new ingest's source was checked with its settings; a resumed one's is checked now
    return qa_generator_for(request.qa, probe=request.resume)


def _finished(
    store: MemoryStore, manifest: Manifest, *, rag: dict | None, started: float
) -> dict[str, Any]:
    data = summary(
        manifest,
        store,
        segments=segments_of(manifest),
        rag=rag,
        seconds=time.perf_counter() - started,
    )
    data["resumed_from_step"] = None
    return data


def _add_rag_arm(
    store: MemoryStore, request: IngestRequest, events: IngestEvents, *, started: float
) -> dict[str, Any]:
    events.stage("building the Chroma retrieval arm")
    described = build_rag_arm(
        store, request.name, request.documents, url=request.chroma_url, fresh=False
    )
    manifest = store.read_manifest(request.name)
    data = summary(
        manifest,
        store,
        segments=segments_of(manifest),
        rag=described,
        seconds=time.perf_counter() - started,
    )
    events.done(f"built the Chroma retrieval arm: {plural(described['chunks'], 'chunk')}")
    return data


def _build_rag_arm(store: MemoryStore, request: IngestRequest, *, fresh: bool) -> dict[str, Any]:
    """The arm of a memory just trained; a Chroma server that fails leaves it to a resume."""
    url = request.chroma_url
    try:
        return build_rag_arm(store, request.name, request.documents, url=url, fresh=fresh)
    except Exception as error:
        if not url:
            raise
        manifest = store.read_manifest(request.name)
        raise ServiceError(
            f"memory '{request.name}' is trained, but the Chroma server at {url} failed "
            f"({type(error).__name__}: {error}); start it (`chroma run --port 8000`) "
            f"and add the retrieval arm with `{resume_command(manifest)} --chroma-url {url}`"
        ) from None


def _train(
    store: MemoryStore,
    request: IngestRequest,
    loaded: LoadedModel,
    config: LiftConfig | None,
    qa_generator: QAGenerator | None,
    events: IngestEvents,
    parallel: DataParallel | None,
    replacing: bool,
) -> IngestResult:
    from lift_memory.ingest import ingest  # the trainer: torch

    name = request.name
    try:
        return ingest(
            request.documents,
            name,
            store=store,
            model=loaded,
            config=config,
            qa_generator=qa_generator,
            resume=request.resume,
            overwrite=request.overwrite,
            on_progress=events.train,
            on_stage=events.stage,
            parallel=parallel,
        )
    except KeyboardInterrupt:
        hint = ""
        if store.exists(name):
            manifest = store.read_manifest(name)
            if manifest.status != "complete":
                hint = f"; continue with `{resume_command(manifest)}`"
        what = (
            f"the new version of memory '{name}' is incomplete (the previous one still answers)"
            if replacing
            else f"memory '{name}' is incomplete"
        )
        raise IngestInterrupted(f"interrupted: {what}{hint}") from None


def _existing_manifest(
    store: MemoryStore, name: str, *, resume: bool, overwrite: bool
) -> Manifest | None:
    """The manifest of a memory already called ``name`` (None if there is none, or if it is
    unreadable and about to be overwritten)."""
    if not store.exists(name):
        return None
    # An ingest of this memory running right now wins over every other message: MemoryLocked
    # names its pid, where "already exists; use --resume" would send the user into the lock.
    with store.lock(name):
        pass
    if not (resume or overwrite):
        raise ServiceError(
            f"memory '{name}' already exists; continue it with --resume, replace it with "
            f"--overwrite, or delete it with `lift-memory rm {name}`"
        )
    try:
        return store.read_manifest(name)
    except CorruptMemory:
        if overwrite:
            return None
        raise


def _config_of(manifest: Manifest | None) -> LiftConfig:
    return LiftConfig.model_validate(manifest.config if manifest else {})


def segments_of(manifest: Manifest) -> int:
    """How many segments the memory's corpus was cut into."""
    config = _config_of(manifest)
    return count_segments(
        [d.tokens for d in manifest.documents], config.segment_length, config.segment_stride
    )


def _count(value: float | None) -> int | None:
    return None if value is None else int(value)


def summary(
    manifest: Manifest, store: MemoryStore, *, segments: int, rag: dict | None, seconds: float
) -> dict[str, Any]:
    """What `lift-memory ingest --json` prints (and an ingest job's result)."""
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
        "train_tokens_per_corpus_token": metrics.get("train_tokens_per_corpus_token"),
        # facts extractable closed-book when training ended (LiftConfig.learn_until)
        "facts_learned": _count(metrics.get("facts_learned")),
        "facts_total": _count(metrics.get("facts_total")),
        # per epoch of the target stage: facts extractable, training tokens and seconds by then
        "learning_curve": list(manifest.extra.get(LEARNING_CURVE_KEY, [])),
        # why the target stage ended: "target", "plateau" (learn_patience) or "epochs"
        "stopped_by": next(iter(dict(manifest.extra.get(STOPPED_BY_KEY, {})).values()), None),
        "tokens_per_s": metrics.get("train_tokens_per_s"),
        "final_loss": metrics.get("final_loss"),
        "adapter_bytes": manifest.adapter_bytes,
        "seconds": seconds,
        "rag": rag,
        "routing": routing_info(manifest),
    }


def _qa_plan(generator: QAGenerator | None, config: LiftConfig) -> str:
    """The QA part of the plan line: none, every fact asked a few ways, or a fixed count."""
    from lift_memory.ingest import requested_qa_count

    if generator is None:
        return "no QA"
    count = requested_qa_count(generator, config)
    if generator.name == "facts" and not count:
        return f"QA on every fact (up to {config.qa_per_fact} phrasings each)"
    return f"{count} QA pairs ({generator.name})"
