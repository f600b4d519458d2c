"""Consolidation: train new text into an existing memory (continual LIFT).

A memory is not frozen after its ingest. ``consolidate`` continues training the adapter that is
attached to a loaded :class:`LiftMemory` on new documents (e.g. chat messages an agent's
short-term history flushed out), with the same sample kinds as an ingest (segments,
contextualized samples, auxiliary QA, retention) plus a replay of the memory's earlier corpus
and QA, so old facts are rehearsed while new ones are learnt. The updated adapter, corpus, QA
and manifest are written back atomically; the in-memory :class:`LiftMemory` is updated in place.

``create_memory`` makes an empty memory (no documents, an adapter that is output-identical to
the base model) for a conversation that starts from nothing; ``open_memory`` loads a memory,
creating it first when it does not exist.

Training holds ``model_lock(loaded)`` (``lift_memory.models``), the lock that generation from
another thread also takes, for as long as it uses the model.
"""

from __future__ import annotations

import contextlib
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from lift_memory.adapters import Adapter, PeftAdapter, create_adapter
from lift_memory.base_writing import kept_retention_answers, kept_self_written_retention
from lift_memory.config import LiftConfig
from lift_memory.documents import Document
from lift_memory.errors import LiftMemoryError
from lift_memory.ingest import (
    corpus_samples,
    default_qa_generator,
    document_record,
    fitted_gate,
    gate_metrics,
    gate_shut_questions,
    generic_null_space,
    learning_target,
    new_manifest,
    qa_answer_spans,
    qa_samples,
    qa_samples_by_fact,
    requested_qa_count,
    statement_samples,
)
from lift_memory.manifest import Manifest
from lift_memory.memory import LiftMemory
from lift_memory.memory_files import read_retention, write_corpus, write_retention
from lift_memory.models import LoadedModel, model_lock
from lift_memory.qa import QAGenerator, QAPair, read_qa_jsonl, write_qa_jsonl
from lift_memory.retention import retention_samples
from lift_memory.segments import segment_samples, tokenize_documents
from lift_memory.store import MemoryStore
from lift_memory.train import LiftTrainer, ProgressCallback, Stage, TrainResult

__all__ = [
    "ConsolidationResult",
    "consolidate",
    "create_memory",
    "open_memory",
]


@dataclass
class ConsolidationResult:
    manifest: Manifest
    train: TrainResult
    qa_pairs: list[QAPair]
    """The auxiliary QA pairs generated from the new documents."""
    documents: list[Document]
    seconds: float


def create_memory(
    name: str,
    *,
    store: MemoryStore,
    model: LoadedModel,
    config: LiftConfig | None = None,
    overwrite: bool = False,
) -> Manifest:
    """Create an empty, complete memory ``name``: no documents yet, an untrained adapter.

    The adapter starts output-identical to the base model; ``consolidate`` fills it.
    """
    config = config or LiftConfig()
    with store.lock(name):
        manifest = store.create(name, new_manifest(name, model, config, []), overwrite=overwrite)
        with model_lock(model):
            adapter = create_adapter(model, config)
            try:
                adapter_bytes = store.save_adapter(name, adapter.tensors(), adapter.metadata())
            finally:
                adapter.detach()
        write_corpus(store.path(name), [])
        write_qa_jsonl(store.qa_path(name), [])
        return store.write_manifest(
            manifest.model_copy(update={"status": "complete", "adapter_bytes": adapter_bytes})
        )


def open_memory(
    name: str,
    *,
    store: MemoryStore,
    model: LoadedModel,
    config: LiftConfig | None = None,
) -> LiftMemory:
    """Load memory ``name`` onto ``model``, creating it empty (with ``config``) if absent."""
    if not store.exists(name):
        create_memory(name, store=store, model=model, config=config)
    return LiftMemory.load(name, store=store, model=model)


def consolidate(
    memory: LiftMemory,
    documents: list[Document],
    *,
    store: MemoryStore,
    config: LiftConfig | None = None,
    qa_generator: QAGenerator | None = None,
    replay: float = 1.0,
    on_progress: ProgressCallback | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ConsolidationResult:
    """Train ``documents`` into ``memory``'s attached adapter and save the memory.

    ``config`` sets the epochs, learning rate and sample kinds of this round (default: the
    memory's own config); its adapter settings are ignored, the existing adapter keeps training.
    ``replay`` is the number of old corpus segments replayed per new segment (0 disables replay).
    """
    started = time.perf_counter()
    say = on_stage or (lambda _message: None)
    documents = [d for d in documents if d.text.strip()]
    if not documents:
        raise LiftMemoryError("nothing to consolidate: every document is empty")
    loaded = memory.loaded
    name = memory.manifest.name
    config = config or LiftConfig.model_validate(memory.manifest.config)
    round_index = int(memory.manifest.metrics.get("consolidations", 0.0))
    rng = random.Random(config.seed + 1 + round_index)
    memory_dir = store.path(name)

    with model_lock(loaded), store.lock(name):
        manifest = store.read_manifest(name)
        if manifest.base_fingerprint != loaded.fingerprint:
            raise LiftMemoryError(f"memory '{name}' belongs to another base model")

        # 1. auxiliary QA about the new text only
        generator = qa_generator or default_qa_generator(loaded, config)
        new_text = "\n\n".join(d.text for d in documents)
        say(f"generating QA pairs ({generator.name if generator else 'none'})")
        new_pairs = (
            generator.generate(new_text, requested_qa_count(generator, config)) if generator else []
        )
        old_pairs = read_qa_jsonl(store.qa_path(name)) if store.qa_path(name).exists() else []

        # 2. retention targets: the base model's answers (memory switched off), kept on disk
        retention = _retention_pairs(memory, store, config, say)

        # 3. samples: new segments (+ contextualized), replayed old segments, QA, retention
        tokenized = tokenize_documents(loaded.tokenizer, documents)
        segments = corpus_samples(loaded, tokenized, config, rng)
        old_segments = segment_samples(
            tokenize_documents(loaded.tokenizer, memory.documents),
            config.segment_length,
            config.segment_stride,
        )
        replayed = _sample(old_segments, round(replay * len(segments)), rng)
        corpus_ids = [token for doc in tokenized for token in doc.token_ids]
        plain = statement_samples(loaded, documents, config) if config.fact_statements else []
        by_fact = qa_samples_by_fact(loaded, new_pairs, corpus_ids, config, rng)
        stage2 = segments + replayed + plain
        first_qa = len(stage2)  # the new facts are probed; old ones are replayed as they are
        stage2 += [sample for sample, _, _ in by_fact]
        auxiliary: list = []
        old_corpus_ids = [
            token
            for doc in tokenize_documents(loaded.tokenizer, memory.documents)
            for token in doc.token_ids
        ]
        auxiliary += qa_samples(
            loaded,
            _sample(old_pairs, max(len(new_pairs), 1) * 2, rng),
            old_corpus_ids or corpus_ids,
            config,
            rng,
        )
        auxiliary += retention_samples(loaded, retention, config.retention_passages)
        stages = [
            Stage("consolidate:segments", segments + replayed, config.stage1_epochs),
            Stage(
                "consolidate:segments+qa",
                stage2 + auxiliary,
                config.stage2_epochs,
                learning_target(
                    first_qa, by_fact, config, qa_answer_spans(loaded, new_pairs, by_fact, config)
                ),
                plain=first_qa,
                plain_epochs=config.plain_text_epochs,
            ),
        ]

        # 4. train the attached adapter further (no checkpoints: a crash keeps the old adapter)
        say("consolidating into the memory")
        before = {key: value.clone() for key, value in memory.adapter.tensors().items()}
        trainer = LiftTrainer(
            loaded,
            memory.adapter,
            config,
            None,
            on_progress=on_progress,
            projection=generic_null_space(loaded, memory.adapter, stages, config, say),
        )
        try:
            # a memory answering at a reduced scale (LoraSettings.answer_scale) trains at its own
            # and with its fitted relevance gate suspended: it is fitted again below
            with memory.adapter.at_training_scale(), _gate_suspended(memory.adapter):
                result = trainer.train([s for s in stages if s.epochs > 0])
        except BaseException:
            _restore(memory, before)  # the attached adapter stays what is on disk
            raise
        finally:
            loaded.model.eval()

        # 5. the relevance gate fitted again on every question the memory now holds, then commit:
        # adapter, corpus, QA, then the manifest
        every_pair = [*old_pairs, *new_pairs]
        shut = _gate_shut_questions(memory, store, config.seed, say) if every_pair else []
        fit = fitted_gate(loaded, memory.adapter, every_pair, retention, shut, config.seed, say)
        adapter_bytes = store.save_adapter(
            name, memory.adapter.tensors(), memory.adapter.metadata()
        )
        all_documents = [*memory.documents, *documents]
        write_corpus(memory_dir, all_documents)
        write_qa_jsonl(store.qa_path(name), [*old_pairs, *new_pairs])
        timings = dict(manifest.timings)
        timings["consolidate_s"] = timings.get("consolidate_s", 0.0) + (
            time.perf_counter() - started
        )
        metrics = dict(manifest.metrics)
        metrics.update(
            {
                "consolidations": float(round_index + 1),
                "consolidate_final_loss": result.final_loss,
                "consolidate_train_tokens": float(result.tokens),
                **gate_metrics(fit),
            }
        )
        manifest = store.write_manifest(
            manifest.model_copy(
                update={
                    "documents": [
                        *manifest.documents,
                        *(document_record(loaded, d) for d in documents),
                    ],
                    "qa_count": len(old_pairs) + len(new_pairs),
                    "adapter_bytes": adapter_bytes,
                    "timings": timings,
                    "metrics": metrics,
                }
            )
        )
        memory.manifest = manifest
        memory.documents = all_documents
    return ConsolidationResult(
        manifest, result, new_pairs, documents, time.perf_counter() - started
    )


def _retention_pairs(
    memory: LiftMemory, store: MemoryStore, config: LiftConfig, say: Callable[[str], None]
) -> list[tuple[str, str]]:
    """The memory's retention targets; recorded now (memory switched off) when it has none."""
    memory_dir = store.path(memory.manifest.name)
    wanted = (
        config.retention_samples + config.retention_self_prompts + config.retention_self_passages
    )
    if wanted == 0:
        return []
    recorded = read_retention(memory_dir)
    if recorded is not None:
        return recorded[:wanted]
    # said once, before the first of the two is written
    announce = functools.cache(lambda: say(f"recording {wanted} base-model answers for retention"))
    # read back where an earlier memory of this model wrote them; a PiSSA memory switched off
    # is not the base model (it moved weights into its adapter), so it neither reads nor keeps
    home = None if memory.adapter.kind == "pissa" else store.home
    with memory.adapter.disabled():
        answers = kept_retention_answers(memory.loaded, config.retention_samples, home, announce)
        written = kept_self_written_retention(memory.loaded, config, home, announce)
    pairs = [*answers.value, *written.value]
    write_retention(memory_dir, pairs)
    return pairs


def _gate_shut_questions(
    memory: LiftMemory, store: MemoryStore, seed: int, say: Callable[[str], None]
) -> list[str]:
    """What a LoRA's fitted gate is shut on beside the retention prompts, as its own settings ask
    (kept in the memory's folder); nothing for another adapter."""
    adapter = memory.adapter
    if not isinstance(adapter, PeftAdapter) or adapter.kind != "lora":
        return []
    with adapter.disabled():  # the base model writes the turns the gate shuts on
        memory_dir = store.path(memory.manifest.name)
        return gate_shut_questions(
            memory.loaded, adapter.settings, memory_dir, seed, say, store.home
        ).value


def _gate_suspended(adapter: Adapter) -> contextlib.AbstractContextManager[None]:
    gate = adapter.gate if isinstance(adapter, PeftAdapter) else None
    return gate.suspended() if gate is not None and gate.per_question else contextlib.nullcontext()


def _restore(memory: LiftMemory, tensors: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for key, value in memory.adapter.tensors().items():
            value.copy_(tensors[key])


def _sample(items: list, count: int, rng: random.Random) -> list:
    if count <= 0 or not items:
        return []
    if count >= len(items):
        return list(items)
    return rng.sample(items, count)
