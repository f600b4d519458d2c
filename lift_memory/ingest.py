"""Ingest: documents → auxiliary QA → LIFT training → a complete memory in the store.

Every expensive intermediate (QA pairs, retention answers, training checkpoints) is written to
the memory's directory before it is used, so an interrupted ingest resumes where it stopped.
The memory is marked complete only after its adapter is on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lift_memory.adapters import Adapter, PeftAdapter, create_adapter
from lift_memory.base_writing import (
    Written,
    kept_retention_answers,
    kept_self_written_retention,
)
from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.distillation import OpenBookTeaching, source_passage, teach
from lift_memory.distributed import DataParallel
from lift_memory.documents import Document
from lift_memory.errors import LiftMemoryError
from lift_memory.extractable import LearningTarget
from lift_memory.interrupts import stop_on_signals
from lift_memory.manifest import LEARNING_CURVE_KEY, STOPPED_BY_KEY, DocumentRecord, Manifest
from lift_memory.memory_files import (
    read_retention,
    read_shut_questions,
    write_corpus,
    write_retention,
    write_shut_questions,
)
from lift_memory.models import DEFAULT_MODEL, LoadedModel, load_model
from lift_memory.null_space import NullSpaceProjection
from lift_memory.phases import mark
from lift_memory.prompts import TrainingSample, chat_sample, head_tail_truncate, question_prompt
from lift_memory.qa import (
    ClozeQAGenerator,
    FactQAGenerator,
    ModelQAGenerator,
    QAGenerator,
    QAPair,
    TopUpQAGenerator,
    read_qa_jsonl,
    write_qa_jsonl,
)
from lift_memory.qa.facts import english_pipeline_installed
from lift_memory.relevance_fit import RelevanceFit, fit_relevance_gate
from lift_memory.relevance_shut_side import extra_shut_questions
from lift_memory.retention import RetentionPairs, retention_samples
from lift_memory.retention_share import retention_repeats
from lift_memory.segments import (
    TokenizedDocument,
    contextualized_samples,
    segment_samples,
    tokenize_documents,
)
from lift_memory.self_prompts import describe_self_written
from lift_memory.store import MemoryStore
from lift_memory.train import LiftTrainer, ProgressCallback, Stage, TrainProgress, TrainResult

# Below this size a model writes too few valid QA pairs to be worth its generation time.
_MODEL_QA_MIN_PARAMETERS = 1_000_000_000

StageCallback = Callable[[str], None]


@dataclass
class IngestResult:
    manifest: Manifest
    train: TrainResult
    qa_pairs: list[QAPair]
    seconds: float


def document_record(loaded: LoadedModel, document: Document) -> DocumentRecord:
    return DocumentRecord(
        source=document.source,
        sha256=hashlib.sha256(document.text.encode()).hexdigest(),
        chars=len(document.text),
        tokens=len(loaded.tokenizer(document.text, add_special_tokens=False)["input_ids"]),
    )


def _fact_generator(config: LiftConfig) -> FactQAGenerator:
    return FactQAGenerator(
        per_fact=config.qa_per_fact,
        restate=config.qa_restate_modifiers,
        timeline=config.qa_timeline_pairs,
        timeline_reply=config.qa_timeline_reply,
        seed=config.seed,
        composed_reply=config.qa_composed_reply,
        composed_frames=config.qa_composed_frames,
        unique_answers=config.qa_unique_answers,
    )


def default_qa_generator(loaded: LoadedModel, config: LiftConfig) -> QAGenerator | None:
    """The generator ``config.qa_generator`` names ("auto": the model itself when it is big
    enough, topped up with model-free cloze questions; below that the model-free 'facts'
    generator, or cloze questions where spaCy's English pipeline is not installed)."""
    kind = config.qa_generator
    if kind == "none" or config.qa_count == 0:
        return None
    if kind == "facts":
        return _fact_generator(config)
    cloze = ClozeQAGenerator(seed=config.seed)
    if kind == "cloze":
        return cloze
    model_generator = ModelQAGenerator(loaded.model, loaded.tokenizer)
    if kind == "model":
        return TopUpQAGenerator(model_generator, cloze)
    if kind == "auto":
        parameters = sum(p.numel() for p in loaded.model.parameters())
        if parameters >= _MODEL_QA_MIN_PARAMETERS:
            return TopUpQAGenerator(model_generator, cloze)
        if english_pipeline_installed():
            return _fact_generator(config)
        return cloze
    raise LiftMemoryError(
        f"qa_generator '{kind}' needs its own settings: pass a generator object "
        "(OpenAIQAGenerator or JsonlQAGenerator) to ingest()"
    )


def requested_qa_count(generator: QAGenerator | None, config: LiftConfig) -> int:
    """Pairs to ask ``generator`` for; 0 lets the 'facts' generator cover every fact."""
    if generator is not None and generator.name == "facts":
        return config.qa_count or 0
    return config.planned_qa_count()


def corpus_samples(
    loaded: LoadedModel,
    tokenized: list[TokenizedDocument],
    config: LiftConfig,
    rng: random.Random,
) -> list[TrainingSample]:
    """Segments of the documents, plus contextualized samples when the config asks for them."""
    samples = segment_samples(tokenized, config.segment_length, config.segment_stride)
    if config.contextualized:
        samples += contextualized_samples(
            loaded.tokenizer,
            tokenized,
            config.segment_length,
            config.segment_stride,
            config.context_window,
            rng,
        )
    return samples


def qa_samples(
    loaded: LoadedModel,
    pairs: list[QAPair],
    corpus_ids: list[int],
    config: LiftConfig,
    rng: random.Random,
) -> list[TrainingSample]:
    """QA in the answering prompt format; some also see the truncated corpus, as at inference."""
    return [sample for sample, _, _ in qa_samples_by_fact(loaded, pairs, corpus_ids, config, rng)]


def reply_of(pair: QAPair, config: LiftConfig) -> str:
    """What training teaches the model to answer: the bare answer ('short'), or a sentence —
    the pair's own short answer sentence where it has one, else its evidence sentence — led by
    the bare answer for 'answer_first' (unless the sentence already starts with it).

    A reply that works its answer out in steps (``pair.probed``: the timeline comparisons, the
    multi-hop chains) stays whole under 'short': its answer follows from the steps."""
    if config.qa_answer_style == "short":
        return pair.reply.strip() if pair.probed and pair.reply.strip() else pair.answer
    sentence = pair.reply.strip() or pair.evidence.strip() or pair.answer
    answer = pair.answer.strip()
    if config.qa_answer_style != "answer_first" or sentence.lower().startswith(answer.lower()):
        return sentence
    # A sentence reply puts the answer after a restatement of the question, so the restated
    # prefix, not the question, can carry the binding; leading with the answer trains (and the
    # extractability probe measures) question -> answer.
    return f"{answer[:1].upper()}{answer[1:].rstrip('.')}. {sentence}"


def qa_samples_by_fact(
    loaded: LoadedModel,
    pairs: list[QAPair],
    corpus_ids: list[int],
    config: LiftConfig,
    rng: random.Random,
) -> list[tuple[TrainingSample, str, bool]]:
    """Each QA sample with the fact it asks about and whether it is closed-book."""
    truncated = head_tail_truncate(loaded.tokenizer, corpus_ids, config.context_window)
    samples = []
    for pair in pairs:
        reply = reply_of(pair, config)
        fact = f"{pair.evidence}\x1f{pair.answer}"  # one fact, however it is asked
        prompt = question_prompt(pair.question)
        samples.append((chat_sample(loaded.tokenizer, prompt, reply, "qa"), fact, True))
        if rng.random() < config.qa_with_context_fraction:
            prompt = question_prompt(pair.question, truncated)
            samples.append((chat_sample(loaded.tokenizer, prompt, reply, "qa"), fact, False))
    return samples


def learning_target(
    first_qa: int,
    by_fact: list[tuple[TrainingSample, str, bool]],
    config: LiftConfig,
    answer_spans: dict[int, tuple[int, int]] | None = None,
) -> LearningTarget | None:
    """Stage 2's target when ``config.learn_until`` is set: the QA samples (placed from index
    ``first_qa`` of the stage's samples on) grouped by fact, the closed-book ones probed."""
    if config.learn_until is None or not by_fact:
        return None
    return LearningTarget(
        probes={first_qa + i: fact for i, (_, fact, closed) in enumerate(by_fact) if closed},
        members={first_qa + i: fact for i, (_, fact, _) in enumerate(by_fact)},
        threshold=config.extractable_threshold,
        target_share=config.learn_until,
        patience=config.learn_patience,
        answer_spans={first_qa + i: span for i, span in (answer_spans or {}).items()},
    )


def qa_answer_spans(
    loaded: LoadedModel,
    pairs: list[QAPair],
    by_fact: list[tuple[TrainingSample, str, bool]],
    config: LiftConfig,
) -> dict[int, tuple[int, int]]:
    """For each closed-book QA sample (by its index in ``by_fact``: one per pair, in order),
    where its short answer (with ``probe_whole_replies``, the part of the reply its pair says
    is probed) sits among its reply tokens."""
    closed = [i for i, (_, _, is_closed) in enumerate(by_fact) if is_closed]
    spans = {}
    for index, pair in zip(closed, pairs, strict=True):
        probed = pair.probed if config.probe_whole_replies and pair.probed else pair.answer
        span = answer_token_span(loaded.tokenizer, reply_of(pair, config), probed)
        if span is not None:
            spans[index] = span
    return spans


def answer_token_span(tokenizer: Any, reply: str, answer: str) -> tuple[int, int] | None:
    """Where ``answer`` sits among the tokens of ``reply`` (as ``chat_sample`` tokenizes it),
    or None when the reply does not contain it."""
    start = reply.lower().find(answer.strip().lower()) if answer.strip() else -1
    if start < 0:
        return None
    end = start + len(answer.strip())

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else 0

    # the prefix without its trailing space: the space belongs to the answer's first token
    first = count(reply[:start].rstrip())
    return first, max(count(reply[:end]), first + 1)


def statement_samples(
    loaded: LoadedModel, documents: list[Document], config: LiftConfig
) -> list[TrainingSample]:
    """The corpus's facts restated and its paragraphs reordered, as plain-text segments."""
    from lift_memory.qa.fact_generator import fact_statements

    corpus_text = "\n\n".join(d.text for d in documents)
    texts = fact_statements(corpus_text, seed=config.seed, restate=config.qa_restate_modifiers)
    restated = [Document(f"statements-{i}", text) for i, text in enumerate(texts)]
    tokenized = tokenize_documents(loaded.tokenizer, restated)
    return segment_samples(tokenized, config.segment_length, config.segment_stride)


def open_book_teachers(
    loaded: LoadedModel,
    documents: list[Document],
    pairs: list[QAPair],
    by_fact: list[tuple[TrainingSample, str, bool]],
    spans: dict[int, tuple[int, int]],
    config: LiftConfig,
) -> OpenBookTeaching:
    """The QA samples of ``by_fact``, each closed-book one taught by the base model reading the
    fact's paragraph where that teacher answers right (docs/lift.md §7)."""
    corpus_text = "\n\n".join(d.text for d in documents)
    closed = [i for i, (_, _, is_closed) in enumerate(by_fact) if is_closed]
    questions = {
        i: (
            pair.question,
            source_passage(corpus_text, pair.evidence),
            spans.get(i),
        )
        for i, pair in zip(closed, pairs, strict=True)
    }
    return teach(loaded, [sample for sample, _, _ in by_fact], questions)


def training_stages(
    loaded: LoadedModel,
    documents: list[Document],
    pairs: list[QAPair],
    retention: list[tuple[str, str]],
    config: LiftConfig,
    say: Callable[[str], None] | None = None,
) -> list[Stage]:
    """Stage 1 trains on the corpus alone, stage 2 on the corpus ∪ QA ∪ retention samples."""
    rng = random.Random(config.seed)
    tokenized = tokenize_documents(loaded.tokenizer, documents)
    segments = corpus_samples(loaded, tokenized, config, rng)
    corpus_ids = [token for doc in tokenized for token in doc.token_ids]
    by_fact = qa_samples_by_fact(loaded, pairs, corpus_ids, config, rng)
    plain = statement_samples(loaded, documents, config) if config.fact_statements else []
    stage2 = segments + plain
    first_qa = len(stage2)
    spans = qa_answer_spans(loaded, pairs, by_fact, config)
    qa = [sample for sample, _, _ in by_fact]
    if config.self_distillation > 0 and pairs:
        teaching = open_book_teachers(loaded, documents, pairs, by_fact, spans, config)
        qa = teaching.samples
        if say:
            say(
                f"self-distillation: the base model reading each fact's paragraph answers "
                f"{teaching.taught}/{teaching.asked} training questions; those are distilled"
            )
    stage2 += qa
    kept = retention_samples(loaded, [tuple(p) for p in retention], config.retention_passages)
    # on a large corpus one pass of the retention text is a vanishing share of the epoch
    repeats = retention_repeats(
        sum(len(s.input_ids) for s in kept),
        sum(len(s.input_ids) for s in stage2),
        config.retention_share,
    )
    stage2 += kept * repeats
    target = learning_target(first_qa, by_fact, config, spans)
    return [
        Stage("segments", segments, config.stage1_epochs),
        Stage(
            "segments+qa",
            stage2,
            config.stage2_epochs,
            target,
            plain=first_qa,
            plain_epochs=config.plain_text_epochs,
        ),
    ]


def generic_null_space(
    loaded: LoadedModel,
    adapter: Adapter,
    stages: list[Stage],
    config: LiftConfig,
    say: Callable[[str], None],
) -> NullSpaceProjection | None:
    """With ``config.lora.generic_null_space``, the projection that keeps a LoRA's update out
    of the base model's main input directions on the retention samples (null_space.py)."""
    share = config.lora.generic_null_space
    if share is None or adapter.kind != "lora":
        return None
    retention = {id(s): s for stage in stages for s in stage.samples if s.kind == "retention"}
    if not retention:
        return None
    with adapter.disabled():
        projection = NullSpaceProjection.fit(loaded, list(retention.values()), share)
    say(
        f"null space: each adapted module leaves {projection.mean_removed:.0f} input directions "
        f"of generic text alone ({share:.0%} of their activations)"
    )
    return projection


def gate_shut_questions(
    loaded: LoadedModel,
    settings: LoraSettings | None,
    memory_dir: Path,
    seed: int,
    say: StageCallback,
    home: Path | None = None,
) -> Written[list[str]]:
    """The questions beside the retention prompts a fitted relevance gate is shut on: read from
    the memory's folder, or written now (and kept) when ``settings`` ask for a fitted gate.
    ``settings`` is None for an adapter that never takes one. Call with no memory attached, or
    with it switched off: the base model writes its own turns, or reads them back from
    ``home``'s cache where an earlier memory of this model wrote them (``base_writing.py``)."""
    written = read_shut_questions(memory_dir)
    if written is not None:
        return Written(written, 0.0, kept=False)
    if settings is None or not settings.fitted_relevance_gate:
        return Written([], 0.0, kept=False)
    # ~110 s for 256 on 2 cores: say so first
    count = settings.relevance_self_questions
    extra = extra_shut_questions(
        loaded,
        settings,
        seed=seed,
        home=home,
        announce=lambda: say(f"writing {count} turns the relevance gate shuts on"),
    )
    write_shut_questions(memory_dir, extra.value)
    return extra


def fitted_gate(
    loaded: LoadedModel,
    adapter: Adapter,
    pairs: list[QAPair],
    retention: RetentionPairs,
    shut: list[str],
    seed: int,
    say: StageCallback,
) -> RelevanceFit | None:
    """With its settings' ``fitted_relevance_gate``, fit a trained LoRA's relevance gate on its
    training questions against its retention prompts and ``shut`` (``gate_shut_questions``) and
    put it in front of the update. The adapter's own settings decide: a LoRA saved before the
    gate existed never gets one."""
    if not isinstance(adapter, PeftAdapter) or adapter.kind != "lora":  # PiSSA: never a gate
        return None
    if not adapter.settings.fitted_relevance_gate:
        return None
    prompts = [prompt for prompt, _ in retention if prompt]
    if not pairs or not prompts:
        say("no relevance gate: it needs training questions and retention prompts")
        return None
    say("fitting the relevance gate")
    fit = fit_relevance_gate(
        loaded,
        adapter.first_adapted_layer(),
        [pair.question for pair in pairs],
        [*prompts, *shut],
        margin=adapter.settings.relevance_margin,
        seed=seed,
    )
    adapter.install_gate(fit.gate)
    return fit


def gate_metrics(fit: RelevanceFit | None) -> dict[str, float]:
    """A fitted gate's sorting of its own two sides, for the manifest's metrics."""
    if fit is None:
        return {}
    return {
        "relevance_questions_open": fit.questions_open,
        "relevance_prompts_shut": fit.prompts_shut,
    }


def ingest(
    documents: list[Document],
    name: str,
    *,
    store: MemoryStore | None = None,
    model: str | LoadedModel = DEFAULT_MODEL,
    config: LiftConfig | None = None,
    qa_generator: QAGenerator | None = None,
    retention_answers: RetentionPairs | None = None,
    resume: bool = False,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    on_stage: StageCallback | None = None,
    parallel: DataParallel | None = None,
) -> IngestResult:
    """Internalize ``documents`` into a new memory ``name`` (or finish an interrupted one).

    With ``parallel`` (processes started by ``accelerate launch``) every process trains its
    share of each batch and only the main one writes the memory: it prepares the manifest, QA
    pairs and retention answers while the others wait, and they then read them from the store.

    ``retention_answers`` (as ``retention.record_retention_answers`` returns them for
    ``config.retention_samples``) skips recording the base model's retention answers: they
    depend only on the base model, so several memories of one model can share one recording.
    What the base model writes itself (``retention_self_prompts``, ``retention_self_passages``)
    follows them.
    """
    started = time.perf_counter()
    main = parallel is None or parallel.is_main
    store = store or MemoryStore()
    say = on_stage or (lambda _message: None)
    documents = [d for d in documents if d.text.strip()]
    if not documents:
        raise LiftMemoryError("nothing to ingest: every document is empty")
    with store.lock(name) if main else contextlib.nullcontext():  # main holds it for all
        mark("prepare")
        if main:
            store.remove_leftovers(name)  # temp files of an ingest that was killed mid-write
        loaded = model if isinstance(model, LoadedModel) else load_model(model, home=store.home)
        records = [document_record(loaded, d) for d in documents]
        if not main:  # the main process prepares the memory (up to step 2) first
            parallel.wait()
        if main:
            manifest = _start_or_resume(store, name, loaded, config, records, resume, overwrite)
        else:
            manifest = store.read_manifest(name)
        config = LiftConfig.model_validate(manifest.config)
        memory_dir = store.path(name)
        if main:
            write_corpus(memory_dir, documents)
        timings = dict(manifest.timings)

        # 1. auxiliary QA, generated once and kept
        t = time.perf_counter()
        if store.qa_path(name).exists():
            pairs = read_qa_jsonl(store.qa_path(name))
        else:
            generator = qa_generator or default_qa_generator(loaded, config)
            wanted = requested_qa_count(generator, config)
            count = f"{wanted} QA pairs" if wanted else "QA pairs for every fact"
            say(f"generating {count} ({generator.name if generator else 'none'})")
            corpus_text = "\n\n".join(d.text for d in documents)
            pairs = generator.generate(corpus_text, wanted) if generator else []
            write_qa_jsonl(store.qa_path(name), pairs)
        timings.setdefault("qa_s", time.perf_counter() - t)

        # 2. retention targets: the base model's own answers, before any adapter exists; what
        # it writes is read back where an earlier memory of this model wrote it
        t = time.perf_counter()
        kept_s = 0.0  # the seconds that text took its first ingest (a cold ingest's cost)
        retention = read_retention(memory_dir)
        if retention is None:
            if retention_answers is not None:  # recorded once for several memories
                retention = [tuple(pair) for pair in retention_answers]
            else:
                count = config.retention_samples
                answers = kept_retention_answers(
                    loaded,
                    count,
                    store.home,
                    lambda: say(f"recording {count} base-model answers for retention"),
                )
                retention = answers.value
                kept_s += answers.saved_s
            written = describe_self_written(config)
            self_written = kept_self_written_retention(
                loaded,
                config,
                store.home,
                lambda: say(f"the base model writes {written} for retention"),
            )
            retention = [*retention, *self_written.value]
            kept_s += self_written.saved_s
            write_retention(memory_dir, retention)
        # PiSSA never takes a fitted gate, nor does a memory with no questions to fit it on
        lora = config.lora if config.adapter == "lora" and pairs else None
        shut = (
            gate_shut_questions(loaded, lora, memory_dir, config.seed, say, store.home)
            if main
            else Written([], 0.0, kept=False)
        )
        kept_s += shut.saved_s
        if kept_s > 0:
            say(f"read back what the base model wrote for an earlier memory ({kept_s:.0f} s saved)")
        timings.setdefault("base_writing_kept_s", kept_s)
        timings.setdefault("retention_s", time.perf_counter() - t)
        if parallel and main:  # the others may now read the QA and retention files
            parallel.wait()

        # 3. training samples and stages (docs/design.md §1: segments first, then segments ∪ QA)
        stages = training_stages(loaded, documents, pairs, retention, config, say)

        # 4. train, checkpointing into the memory's directory
        say("training the memory")
        adapter = create_adapter(loaded, config)
        trainer = LiftTrainer(
            loaded,
            adapter,
            config,
            store.checkpoint_dir(name),
            on_progress=_marking(on_progress),
            parallel=parallel,
            projection=generic_null_space(loaded, adapter, stages, config, say),
        )
        try:
            # SIGINT/SIGTERM: checkpoint at the next step, then KeyboardInterrupt (resumable).
            # Not with several processes: they could see the flag at different steps and leave
            # one waiting in an all-reduce; there the signal interrupts at once.
            graceful = parallel is None
            request_stop = lambda: setattr(trainer, "stop_requested", True)  # noqa: E731
            training_started = time.perf_counter()
            with stop_on_signals(request_stop) if graceful else contextlib.nullcontext():
                result = trainer.train([s for s in stages if s.epochs > 0], resume=resume)
            this_attempts_training = time.perf_counter() - training_started
        except BaseException:
            # leave the caller's model as it was, so that a resume can attach a fresh adapter
            loaded.model.eval()
            if adapter.kind != "pissa":  # PiSSA rewrote the base weights; nothing to take off
                adapter.detach()
            raise
        # the whole training's seconds, earlier attempts included (the checkpoint carries them)
        timings["train_s"] = result.seconds

        if not main:  # the main process commits: wait for it, then report what it wrote
            if adapter.kind != "pissa":
                adapter.detach()
            parallel.wait()
            manifest = store.read_manifest(name)
            return IngestResult(manifest, result, pairs, time.perf_counter() - started)

        # 5. a fitted relevance gate, then commit: adapter first, then the manifest that says
        # it is complete
        fit = fitted_gate(loaded, adapter, pairs, retention, shut.value, config.seed, say)
        mark("commit")
        adapter_bytes = store.save_adapter(name, adapter.tensors(), adapter.metadata())
        if adapter.kind != "pissa":
            adapter.detach()
        # this attempt's seconds with its share of training replaced by the whole training's:
        # a resumed ingest counts the epochs trained before its interruption too
        attempt_s = time.perf_counter() - started - this_attempts_training + result.seconds
        timings["ingest_s"] = timings.get("ingest_s", 0.0) + attempt_s
        corpus_tokens = sum(r.tokens for r in records)
        manifest = store.write_manifest(
            manifest.model_copy(
                update={
                    "status": "complete",
                    "qa_count": len(pairs),
                    "adapter_bytes": adapter_bytes,
                    "timings": timings,
                    "metrics": {
                        "final_loss": result.final_loss,
                        **{f"loss_{k}": v for k, v in result.stage_losses.items()},
                        "train_tokens": float(result.tokens),
                        "train_tokens_per_s": result.tokens_per_s,
                        "corpus_tokens": float(corpus_tokens),
                        "train_tokens_per_corpus_token": result.tokens / max(1, corpus_tokens),
                        "base_model_bytes": float(loaded.parameter_bytes()),
                        **gate_metrics(fit),
                        **(
                            {
                                "facts_learned": float(result.facts_learned),
                                "facts_total": float(result.facts_total or 0),
                            }
                            if result.facts_learned is not None
                            else {}
                        ),
                        **{f"epochs_{k}": float(v) for k, v in result.epochs_run.items()},
                    },
                    # recall against cost, epoch by epoch (docs/lift.md §6)
                    "extra": {
                        **manifest.extra,
                        LEARNING_CURVE_KEY: [asdict(point) for point in result.learning_curve],
                        STOPPED_BY_KEY: result.stopped_by,
                    }
                    if result.learning_curve
                    else manifest.extra,
                }
            )
        )
        shutil.rmtree(store.checkpoint_dir(name), ignore_errors=True)
        if parallel:
            parallel.wait()
        return IngestResult(manifest, result, pairs, time.perf_counter() - started)


def _marking(on_progress: ProgressCallback | None) -> ProgressCallback:
    """``on_progress`` that also marks each optimizer step for the crash test's phase hook."""

    def report(progress: TrainProgress) -> None:
        mark("train")
        if on_progress is not None:
            on_progress(progress)

    return report


def _start_or_resume(
    store: MemoryStore,
    name: str,
    loaded: LoadedModel,
    config: LiftConfig | None,
    records: list[DocumentRecord],
    resume: bool,
    overwrite: bool,
) -> Manifest:
    if resume and store.exists(name):
        manifest = store.read_manifest(name)
        if manifest.status == "complete":
            raise LiftMemoryError(f"memory '{name}' is already complete; nothing to resume")
        if manifest.base_fingerprint != loaded.fingerprint:
            raise LiftMemoryError(
                f"memory '{name}' was started with model {manifest.base_model}; "
                "resume it with the same --model"
            )
        if [r.sha256 for r in manifest.documents] != [r.sha256 for r in records]:
            raise LiftMemoryError(
                f"the documents differ from those memory '{name}' was started with; "
                "resume with the same inputs, or start over without --resume"
            )
        return manifest
    manifest = new_manifest(name, loaded, config or LiftConfig(), records)
    return store.create(name, manifest, overwrite=overwrite)


def new_manifest(
    name: str, loaded: LoadedModel, config: LiftConfig, records: list[DocumentRecord]
) -> Manifest:
    """The manifest of a memory about to be trained on ``loaded`` with ``config``."""
    return Manifest(
        name=name,
        base_model=loaded.model_id,
        base_fingerprint=loaded.fingerprint,
        adapter_kind=config.adapter,
        config=config.model_dump(mode="json"),
        documents=records,
    )
