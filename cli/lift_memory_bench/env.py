"""What the methods of one run share: the base model, the corpus, the store, the trainings and
the Chroma index — each built at most once.

Trained memories live in ``OUT/store`` under names derived from their config, corpus and base
model (``variants.variant_memory_name``), so a second run into the same folder reuses them
(``fresh`` trains again). The Chroma index for RAG and the hybrid router is rebuilt every run
(seconds).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_memory_cli.core.out_of_scope import out_of_scope_questions
from lift_memory_cli.core.rag_arm import require_embeddings
from lift_memory_cli.core.routing_calibration import (
    calibrate_routing,
    in_scope_pairs,
    record_routing,
)

from lift_memory.answer import truncated_context
from lift_memory.atomic import atomic_write_text
from lift_memory.config import LiftConfig
from lift_memory.ingest import ingest
from lift_memory.manifest import LEARNING_CURVE_KEY
from lift_memory.memory import LiftMemory
from lift_memory.models import LoadedModel
from lift_memory.retention import RETENTION_PROMPTS, RetentionPairs, record_retention_answers
from lift_memory.store import MemoryStore
from lift_memory_bench.budget import ParameterBudget, matched_budget
from lift_memory_bench.events import BenchEvents
from lift_memory_bench.profiles import BenchProfile
from lift_memory_bench.tasks.corpus import BenchCorpus
from lift_memory_bench.variants import Variant, variant_memory_name

# the base model's retention answers, shared by the run's trainings
RETENTION_ANSWERS_FILE = "retention-answers.json"

if TYPE_CHECKING:
    from llama_index.memory.lift import ChromaRetrievalArm


class SharedBaseModel:
    """The shared base model. PiSSA rewrites base weights, so after it the model is reloaded."""

    def __init__(self, load: Callable[[], LoadedModel]) -> None:
        self._load = load
        self._model: LoadedModel | None = None
        self.loads = 0

    def get(self) -> LoadedModel:
        if self._model is None:
            self._model = self._load()
            self.loads += 1
        return self._model

    def taint(self) -> None:
        """The base weights changed (PiSSA): the next ``get`` loads a clean copy."""
        self._model = None


@dataclass(frozen=True)
class TrainingRecord:
    """The costs of one trained variant, from its manifest."""

    variant: Variant
    name: str
    ingest_s: float
    train_s: float
    train_tokens: int
    corpus_tokens: int
    adapter_bytes: int
    qa_count: int
    final_loss: float | None
    reused: bool
    # the recipe's own accounting, where the engine records it (None for older memories)
    facts_learned: int | None = None
    facts_total: int | None = None
    train_tokens_per_corpus_token: float | None = None
    epochs_run: dict[str, int] = field(default_factory=dict)  # per training stage
    # per epoch of the target stage: facts extractable, training tokens and seconds by then
    learning_curve: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class IndexRecord:
    build_s: float
    chunks: int
    index_bytes: int


def _optional_int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class BenchEnv:
    def __init__(
        self,
        profile: BenchProfile,
        corpus: BenchCorpus,
        base: SharedBaseModel,
        out_dir: Path,
        events: BenchEvents,
        *,
        fresh: bool = False,
    ) -> None:
        self.profile = profile
        self.corpus = corpus
        self.base = base
        self.out_dir = Path(out_dir)
        self.store = MemoryStore(self.out_dir / "store")
        self.events = events
        self.fresh = fresh
        self.corpus_sha = hashlib.sha256(corpus.text.encode()).hexdigest()
        self._trainings: dict[str, TrainingRecord] = {}
        self._budget: ParameterBudget | None = None
        self._retrieval: ChromaRetrievalArm | None = None
        self._index: IndexRecord | None = None
        self._truncated: str | None = None
        self._retention: tuple[RetentionPairs, float] | None = None
        self._retention_count = 0  # the prompts recorded in _retention
        loaded = base.get()
        self.corpus_tokens = self.count_tokens(corpus.text)
        self.max_positions = int(getattr(loaded.model.config, "max_position_embeddings", 0) or 0)

    # --- the base model and the corpus
    def model(self) -> LoadedModel:
        return self.base.get()

    def count_tokens(self, text: str) -> int:
        return len(self.base.get().tokenizer(text, add_special_tokens=False)["input_ids"])

    def truncated(self) -> str:
        """The corpus cut to the window (head + "..." + tail), as truncated ICL sees it."""
        if self._truncated is None:
            self._truncated = truncated_context(self.model(), self.corpus.text, self.profile.window)
        return self._truncated

    def fit_window(self, text: str) -> str:
        """``text`` cut to the window (its head): no method gets more context than that."""
        tokenizer = self.model().tokenizer
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return (
            text
            if len(ids) <= self.profile.window
            else tokenizer.decode(ids[: self.profile.window])
        )

    # --- trainings
    def budget(self) -> ParameterBudget:
        """The Gated Memory's trainable parameters and the LoRA rank that matches them."""
        if self._budget is None:
            self._budget = matched_budget(self.model(), self.profile.lift)
        return self._budget

    def training_config(self, variant: Variant) -> LiftConfig:
        rank = self.budget().lora_rank if variant in ("lora", "pissa") else 16
        return self.profile.training_config(variant, lora_rank=rank)

    def _name(self, variant: Variant) -> str:
        config = self.training_config(variant)
        return variant_memory_name(variant, config, self.corpus_sha, self.model().fingerprint)

    def retention_answers(self, count: int | None = None) -> tuple[RetentionPairs, float]:
        """The base model's answers to the first ``count`` retention prompts (the profile's
        count when None) and the seconds recording them took: recorded once per run folder
        and shared by every training (~1 min of generation each). A variant that asks for
        more prompts than were recorded (``variant_overrides``) has the rest recorded; one that
        asks for fewer gets the first ones and their share of the seconds."""
        count = self.profile.lift.retention_samples if count is None else count
        if self._retention is None or self._retention_count < count:
            path = self.out_dir / RETENTION_ANSWERS_FILE
            key = {
                "model": self.model().fingerprint,
                "count": max(count, self._retention_count),
            }
            saved = json.loads(path.read_text()) if path.exists() else {}
            saved_key = saved.get("key", {})
            if saved_key.get("model") == key["model"] and saved_key.get("count", 0) >= count:
                pairs = [(str(p), str(a)) for p, a in saved["pairs"]]
                self._retention = (pairs, float(saved["seconds"]))
                key = saved_key
            else:
                self.events.stage("recording the base model's retention answers (all trainings)")
                started = time.perf_counter()
                pairs = record_retention_answers(self.model(), key["count"])
                seconds = time.perf_counter() - started
                record = {"key": key, "pairs": pairs, "seconds": seconds}
                atomic_write_text(path, json.dumps(record, indent=1))
                self._retention = (pairs, seconds)
            self._retention_count = key["count"]
        pairs, seconds = self._retention
        asked = set(RETENTION_PROMPTS[:count])
        share = count / self._retention_count if self._retention_count else 0.0
        return [pair for pair in pairs if pair[0] in asked], seconds * share

    def finished(self, variant: Variant) -> bool:
        """Whether an earlier run into this folder finished ``variant``'s training (reused)."""
        return not self.fresh and self.trained_memory(variant) is not None

    def trained_memory(self, variant: Variant) -> dict[str, str] | None:
        """The finished memory of ``variant`` in the store as its name and creation time (a
        retrained memory is another one), or None while there is none (``--fresh`` or not, so a
        fresh run keys its answers by the memory it trained)."""
        name = self._name(variant)
        if not self.store.exists(name):
            return None
        manifest = self.store.read_manifest(name)
        if manifest.status != "complete":
            return None
        return {"name": manifest.name, "created_at": manifest.created_at}

    def train(self, variant: Variant) -> TrainingRecord:
        """Ingest the corpus as ``variant`` (once per run; reused from the store if finished)."""
        if variant in self._trainings:
            return self._trainings[variant]
        name = self._name(variant)
        config = self.training_config(variant)
        reused = False
        existing = self.store.read_manifest(name) if self.store.exists(name) else None
        if self.finished(variant):
            reused = True
            self.events.note(f"{variant}: reusing the finished memory {name}")
        else:
            self.events.stage(f"training {variant}")
            resume = existing is not None and existing.status != "complete" and not self.fresh
            retention, _seconds = self.retention_answers(config.retention_samples)
            loaded = self.model()
            try:
                ingest(
                    list(self.corpus.documents),
                    name,
                    store=self.store,
                    model=loaded,
                    config=config,
                    retention_answers=retention,
                    resume=resume,
                    overwrite=not resume,
                    on_progress=self.events.train,
                    on_stage=self.events.stage,
                )
            finally:
                if variant == "pissa":  # PiSSA moved the base weights into its adapter
                    self.base.taint()
        manifest = self.store.read_manifest(name)
        timings, metrics = manifest.timings, manifest.metrics
        record = TrainingRecord(
            variant=variant,
            name=name,
            # every training is charged as a lone ingest on a fresh store would be
            ingest_s=float(timings.get("ingest_s", 0.0))
            + self.cold_ingest_extra_s(timings, config.retention_samples),
            train_s=float(timings.get("train_s", 0.0)),
            train_tokens=int(metrics.get("train_tokens", 0)),
            corpus_tokens=int(metrics.get("corpus_tokens", self.corpus_tokens)),
            adapter_bytes=int(manifest.adapter_bytes or 0),
            qa_count=int(manifest.qa_count or 0),
            final_loss=metrics.get("final_loss"),
            reused=reused,
            facts_learned=_optional_int(metrics.get("facts_learned")),
            facts_total=_optional_int(metrics.get("facts_total")),
            train_tokens_per_corpus_token=metrics.get("train_tokens_per_corpus_token"),
            epochs_run={
                key.removeprefix("epochs_"): int(value)
                for key, value in metrics.items()
                if key.startswith("epochs_") and value is not None
            },
            learning_curve=list(manifest.extra.get(LEARNING_CURVE_KEY, [])),
        )
        self._trainings[variant] = record
        return record

    def cold_ingest_extra_s(self, timings: dict[str, Any], count: int) -> float:
        """The seconds a lone ingest on a fresh store would have spent beside this training's
        own: the retention answers recorded once for every training, and what the base model
        wrote for an earlier memory and this one read back (``base_writing.py``)."""
        if "base_writing_kept_s" in timings:
            return self.retention_answers(count)[1] + float(timings["base_writing_kept_s"])
        # a memory trained before the cache: one that recorded nothing itself was charged the
        # shared answers (those with self-written passages were not; docs/benchmarks.md)
        if float(timings.get("retention_s", 0.0)) >= 1.0:
            return 0.0
        return self.retention_answers(count)[1]

    def open_variant(self, variant: Variant) -> LiftMemory:
        """The trained ``variant`` attached to the base model (train it first)."""
        record = self.train(variant)
        return LiftMemory.load(record.name, store=self.store, model=self.model())

    def close_variant(self, memory: LiftMemory) -> None:
        """Take a memory off the base model (a PiSSA one cannot be: reload instead)."""
        if memory.adapter.kind == "pissa":
            self.base.taint()
        else:
            memory.detach()

    # --- the Chroma index (RAG arm and hybrid router)
    def retrieval(self) -> tuple[ChromaRetrievalArm, IndexRecord]:
        if self._retrieval is None or self._index is None:
            require_embeddings()
            from llama_index.memory.lift import ChromaRetrievalArm

            self.events.stage("building the Chroma index")
            chunk = self.profile.rag_chunk_size
            path = self.out_dir / "chroma"
            arm = ChromaRetrievalArm(
                collection_name="bench-corpus",
                path=str(path),
                chunk_size=chunk,
                chunk_overlap=min(32, chunk // 4),
                similarity_top_k=self.profile.rag_top_k,
            )
            if arm.count():  # an earlier run's index: start over so build time is measured
                arm.delete_collection()
            arm.embed_model.get_query_embedding("warm-up")  # model load is not indexing time
            started = time.perf_counter()
            chunks = arm.add_documents(list(self.corpus.documents))
            build_s = time.perf_counter() - started
            self._retrieval = arm
            self._index = IndexRecord(build_s, chunks, _directory_bytes(path))
        return self._retrieval, self._index

    # --- relevance routing (auto mode, the hybrid's calibrated policy)
    def routing(self, variant: Variant, memory: LiftMemory) -> dict[str, Any] | None:
        """The routing calibration an ingest records, for ``variant``'s memory over this run's
        Chroma index; kept in the memory's manifest and reused while the index settings, the
        corpus and the relevance rule are the same. None for a memory without training questions."""
        from llama_index.memory.lift.calibration import DEFAULT_MAX_OUT_OF_SCOPE_RATE
        from llama_index.memory.lift.relevance_rule import RELEVANCE_RULE_VERSION

        arm, _ = self.retrieval()
        name = self.train(variant).name
        key = {
            "corpus": self.corpus_sha,
            "chunk_size": self.profile.rag_chunk_size,
            "max_new_tokens": self.profile.max_new_tokens,
            "relevance_rule": RELEVANCE_RULE_VERSION,
            "max_out_of_scope_rate": DEFAULT_MAX_OUT_OF_SCOPE_RATE,
        }
        saved = self.store.read_manifest(name).extra.get("routing")
        if isinstance(saved, dict) and saved.get("bench_key") == key:
            return saved
        pairs = in_scope_pairs(self.store, name)
        if not pairs:
            return None
        self.events.stage(f"{variant}: calibrating relevance routing and the hybrid's arms")
        questions, sources = out_of_scope_questions(self.corpus.text)
        data = calibrate_routing(
            memory,
            arm,
            pairs,
            questions,
            sources=sources,
            max_new_tokens=self.profile.max_new_tokens,
        )
        data["bench_key"] = key
        record_routing(self.store, name, data)
        return data

    def describe(self) -> dict[str, Any]:
        return {
            "corpus_tokens": self.corpus_tokens,
            "max_positions": self.max_positions,
            "model_loads": self.base.loads,
        }
