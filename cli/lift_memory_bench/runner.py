"""One benchmark run: build the corpus, then each method in turn — prepare, answer every
question, score its options, probe retention — and collect everything into one report dict,
each task's scores with their bootstrap confidence intervals (``bootstrap.py``).

Methods run one after another on one base model (an adapter is attached only while its method
runs). A method that fails is recorded as failed and the run goes on: an hour-long run should
not be lost to one broken arm (``LIFT_MEMORY_DEBUG=1`` re-raises instead). Each finished
method's answers are kept in the run folder (``finished_methods.py``): a rerun after a stop
answers only the methods still missing.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from lift_memory.answer import generate_answer
from lift_memory.manifest import utc_now_iso
from lift_memory.models import LoadedModel
from lift_memory_bench.bootstrap import (
    CONFIDENCE_LEVEL,
    interval,
    relative_drop,
    relative_drop_interval,
    stratified_interval,
)
from lift_memory_bench.env import BenchEnv, SharedBaseModel
from lift_memory_bench.estimate import estimate_cost
from lift_memory_bench.events import BenchEvents, NullEvents
from lift_memory_bench.finished_methods import FinishedMethods, answers_key
from lift_memory_bench.generic import GENERIC_PROBES, GenericQuestion
from lift_memory_bench.likelihood import option_logprobs
from lift_memory_bench.methods import METHOD_CLASSES, Method
from lift_memory_bench.metrics import METRICS, answer_scores, mean, percentile, question_scores
from lift_memory_bench.names import METHOD_DESCRIPTIONS, TASK_DESCRIPTIONS
from lift_memory_bench.perplexity_damage import perplexity_damage, text_perplexities
from lift_memory_bench.profiles import METHOD_TRAINING, BenchProfile
from lift_memory_bench.retention_probes import RetentionProbe, retention_probes
from lift_memory_bench.routing_bench import (
    CorpusAnswers,
    RoutingBench,
    probe_base_answers,
    routing_benchmark,
    unrelated_texts,
)
from lift_memory_bench.tasks.corpus import BenchCorpus, build_corpus
from lift_memory_bench.tasks.question import BenchQuestion


def _question_record(q: BenchQuestion) -> dict:
    """A question as questions.jsonl and report.json keep it."""
    return {
        "id": q.id,
        "task": q.task,
        "question": q.question,
        "answers": list(q.answers),
        "options": list(q.options),
        "gold_option": q.gold_option,
        "scored_by_choice": q.scored_by_choice,
    }


def _write_inputs(corpus: BenchCorpus, out_dir: Path) -> None:
    """The generated corpus and questions, for inspection next to the report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "corpus.txt").write_text(corpus.text + "\n", encoding="utf-8")
    (out_dir / "questions.jsonl").write_text(
        "".join(
            json.dumps(_question_record(q), ensure_ascii=False) + "\n" for q in corpus.questions
        ),
        encoding="utf-8",
    )


class BenchRunner:
    def __init__(
        self,
        profile: BenchProfile,
        out_dir: Path,
        load_model: Callable[[], LoadedModel],
        *,
        events: BenchEvents | None = None,
        fresh: bool = False,
    ) -> None:
        self.profile = profile
        self.out_dir = Path(out_dir)
        self.events = events or NullEvents()
        self.base = SharedBaseModel(load_model)
        self.fresh = fresh
        self.corpus_tokens = 1
        # the retention benchmark's probes and the base model's answers to them, once per run
        self._probes: tuple[list[RetentionProbe], list[str]] | None = None

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        profile, events = self.profile, self.events
        events.stage(f"loading {profile.model}")
        loaded = self.base.get()
        events.stage("building the corpus and questions")
        corpus = profile_corpus(profile, loaded)
        _write_inputs(corpus, self.out_dir)
        env = BenchEnv(profile, corpus, self.base, self.out_dir, events, fresh=self.fresh)
        self.corpus_tokens = max(env.corpus_tokens, 1)
        reused = [variant for variant in profile.trainings() if env.finished(variant)]
        finished = FinishedMethods(self.out_dir)
        if self.fresh:  # everything again: no earlier answer may be mixed into this run's
            finished.clear()
        kept = {
            name: record
            for name in profile.methods
            if (key := self._answers_key(env, corpus, name))
            and (record := finished.load(name, key)) is not None
        }
        estimate = estimate_cost(profile, env.corpus_tokens, reused, kept)
        events.note(
            f"corpus: {env.corpus_tokens:,} tokens ({env.corpus_tokens / profile.window:.1f}x the "
            f"{profile.window}-token window), {len(corpus.questions)} questions; "
            f"estimate: {estimate.describe()}"
        )

        events.stage("base-model reference answers and perplexity")
        generic = GENERIC_PROBES[: profile.generic_questions]
        reference = [
            generate_answer(loaded, g.question, max_new_tokens=profile.max_new_tokens).text
            for g in generic
        ]
        base_ppl = text_perplexities(loaded)

        needs_budget = {"lora", "pissa"} & set(profile.methods)
        budget = env.budget().to_json() if needs_budget else None
        results: dict[str, Any] = {}
        replies: dict[str, dict[str, Any]] = {q.id: {} for q in corpus.questions}
        for name in profile.methods:
            if name in kept:
                result, cells = kept[name]
                for question_id, cell in cells.items():
                    replies[question_id][name] = cell
                results[name] = {**result, "answers_reused": True}
                events.method_done(name, "answers reused from an earlier run into this folder")
                continue
            method = METHOD_CLASSES[name](env)
            results[name] = self._run_method(method, corpus, replies, reference, base_ppl)
            key = self._answers_key(env, corpus, name)  # a training may have finished since
            if results[name]["status"] == "ok" and key is not None:
                cells = {qid: cell[name] for qid, cell in replies.items() if name in cell}
                finished.save(name, key, results[name], cells)

        tasks = corpus.tasks()
        return {
            "profile": profile.model_dump(mode="json"),
            "model": profile.model,
            "created_at": utc_now_iso(),
            "seconds": time.perf_counter() - started,
            "window": profile.window,
            "corpus": {
                "tokens": env.corpus_tokens,
                "window_multiple": env.corpus_tokens / profile.window,
                # the interleaved stretches of each task family, in corpus order
                "sections": [
                    {"family": family, "tokens": env.count_tokens(text)}
                    for family, text in corpus.sections
                ],
            },
            "tasks": tasks,
            "task_descriptions": {t: TASK_DESCRIPTIONS[t] for t in tasks},
            "methods": list(profile.methods),
            "method_descriptions": {m: METHOD_DESCRIPTIONS[m] for m in profile.methods},
            "metrics": list(METRICS),
            "confidence": {
                "level": CONFIDENCE_LEVEL,
                "resamples": profile.bootstrap_resamples,
                "method": "percentile bootstrap over the questions of each task (seeded); the "
                "mean over tasks resamples within each task",
            },
            "estimate": {
                "training_tokens": estimate.training_tokens,
                "most_training_tokens": estimate.most_training_tokens,
                "reused": sorted(estimate.reused),
                "answered": sorted(estimate.answered),
                "answers": estimate.answers,
                "minutes": estimate.minutes,
            },
            "parameter_budget": budget,
            "retention_reference": {
                "questions": [g.question for g in generic],
                "base_answers": reference,
                "base_generic_accuracy": mean(
                    answer_scores(answer, g.answers)["contains"]
                    for answer, g in zip(reference, generic, strict=True)
                ),
                "base_perplexity": mean(base_ppl.values()),  # the mean over the texts
                "base_perplexity_by_text": base_ppl,
            },
            "results": results,
            "questions": [
                {**_question_record(q), "replies": replies[q.id]} for q in corpus.questions
            ],
        }

    def _answers_key(self, env: BenchEnv, corpus: BenchCorpus, name: str) -> str | None:
        """What ``name``'s answers depend on, as a digest; None while the memory it answers from
        is not trained."""
        from llama_index.memory.lift.relevance_rule import RELEVANCE_RULE_VERSION

        from lift_memory import __version__

        profile = self.profile
        variant = profile.routed_memory if name == "hybrid" else METHOD_TRAINING.get(name)
        memory = env.trained_memory(variant) if variant is not None else {}
        if memory is None:
            return None
        loaded = env.model()
        return answers_key(
            method=name,
            profile=profile.model_dump(mode="json"),
            questions=[_question_record(q) for q in corpus.questions],
            corpus=env.corpus_sha,
            model=loaded.fingerprint,
            # where and how it ran: another device or dtype answers a little differently
            device=str(loaded.device),
            dtype=str(next(loaded.model.parameters()).dtype),
            versions={"library": __version__, "torch": torch.__version__},
            relevance_rule=RELEVANCE_RULE_VERSION,
            memory=memory,
        )

    def _run_method(
        self,
        method: Method,
        corpus: BenchCorpus,
        replies: dict[str, dict[str, Any]],
        reference: list[str],
        base_ppl: dict[str, float],
    ) -> dict[str, Any]:
        name, events = method.name, self.events
        reason = method.skip_reason()
        if reason is not None:
            events.method_done(name, f"skipped: {reason}")
            return {"status": "skipped", "reason": reason}
        try:
            return self._evaluate(method, corpus, replies, reference, base_ppl)
        except Exception as error:
            if os.environ.get("LIFT_MEMORY_DEBUG"):
                raise
            message = f"{type(error).__name__}: {error}"
            events.method_done(name, f"failed: {message}")
            return {"status": "failed", "reason": message, "traceback": traceback.format_exc()}

    def _evaluate(
        self,
        method: Method,
        corpus: BenchCorpus,
        replies: dict[str, dict[str, Any]],
        reference: list[str],
        base_ppl: dict[str, float],
    ) -> dict[str, Any]:
        name, events, profile = method.name, self.events, self.profile
        events.stage(f"{name}: preparing")
        costs = method.setup()
        try:
            generic = GENERIC_PROBES[: profile.generic_questions]
            probed = generic if method.retention_probe == "ask" else ()
            total = len(corpus.questions) + len(probed)
            events.answering(name, 0, total)
            per_question: list[dict[str, Any]] = []
            for done, question in enumerate(corpus.questions, start=1):
                reply = method.reply(question.question)
                assert method.loaded is not None
                scores = option_logprobs(
                    method.loaded,
                    question.question,
                    question.options,
                    context=reply.context,
                    adapter=method.adapter,
                    use_memory=reply.use_memory,
                )
                choice = max(range(len(scores)), key=scores.__getitem__)
                cell: dict[str, Any] = {
                    "answer": reply.text,
                    "latency_s": reply.latency_s,
                    "mc_choice": choice,
                    "mc_accuracy": float(choice == question.gold_option),
                    "option_logprobs": scores,
                }
                cell.update(question_scores(reply.text, question))
                if reply.cut_off is not None:
                    cell["cut_off"] = reply.cut_off
                if reply.chosen is not None:
                    cell["chosen"] = reply.chosen
                if reply.arms:  # every arm scored, so the router's arms compare per task
                    cell["arms"] = {
                        arm: {"answer": text, **question_scores(text, question)}
                        for arm, text in reply.arms.items()
                    }
                replies[question.id][name] = cell
                per_question.append({"task": question.task, **cell})
                events.answering(name, done, total)

            routed = name == self.profile.routed_memory  # the memory the router runs over
            routing = self._routing(method, corpus, replies) if routed else None
            probe_answers = list(reference) if method.retention_probe == "reference" else []
            for index, probe in enumerate(probed):
                probe_answers.append(method.reply(probe.question).text)
                events.answering(name, len(corpus.questions) + index + 1, total)
            retention_rows = [
                {
                    "gold": answer_scores(answer, probe.answers)["contains"],
                    "agreement": answer_scores(answer, [base_answer])["f1"]
                    if base_answer.strip()
                    else None,
                }
                for answer, probe, base_answer in zip(
                    probe_answers, generic, reference, strict=False
                )
            ]
            ppl = (
                text_perplexities(method.loaded, adapter=method.adapter, use_memory=True)
                if method.retention_probe == "ask" and method.adapter is not None
                else base_ppl
            )
            if routing is not None:
                bench, figures = routing
                figures["unrelated_texts"] = unrelated_texts(bench, ppl, base_ppl)
        finally:
            method.teardown()

        tasks, overall, overall_ci = self._aggregate(per_question, corpus.tasks())
        latencies = [row["latency_s"] for row in per_question]
        result = {
            "status": "ok",
            "tasks": tasks,
            "overall": overall,
            "overall_ci": overall_ci,
            "costs": {
                "ingest_s": costs.ingest_s,
                "ingest_s_per_1k_tokens": costs.ingest_s / (self.corpus_tokens / 1000),
                "train_tokens": costs.train_tokens,
                "trainable_params": costs.trainable_params,
                "adapter_bytes": costs.adapter_bytes,
                "index_bytes": costs.index_bytes,
                "ask_p50_s": percentile(latencies, 50),
                "ask_p95_s": percentile(latencies, 95),
                "ask_mean_s": mean(latencies),
                "reused_training": costs.reused,
                **costs.details,
            },
            "retention": {
                "generic_accuracy": mean(r["gold"] for r in retention_rows),
                **self._generic_intervals([r["gold"] for r in retention_rows], generic, reference),
                "base_agreement_f1": mean(r["agreement"] for r in retention_rows),
                **perplexity_damage(ppl, base_ppl),
                "answers": probe_answers,
            }
            if method.retention_probe != "none"
            else None,
        }
        chosen = [row.get("chosen") for row in per_question if row.get("chosen")]
        if chosen:
            result["router_choices"] = {arm: chosen.count(arm) for arm in sorted(set(chosen))}
            result["router_arms"] = _arm_scores(per_question, corpus.tasks())
        if routing is not None:
            result["routing"] = routing[1]
        events.method_done(
            name,
            f"mc {overall['mc_accuracy']:.0%} · contains {overall['contains']:.0%} · "
            f"p50 {result['costs']['ask_p50_s']:.2f}s",
        )
        return result

    def _routing(
        self, method: Method, corpus: BenchCorpus, replies: dict[str, dict[str, Any]]
    ) -> tuple[RoutingBench, dict[str, Any]] | None:
        """The retention benchmark of relevance routing for ``method``'s memory (None when the
        profile leaves it out, or the memory has no training questions to calibrate on)."""
        from llama_index.memory.lift.routing import calibration_from

        profile, events = self.profile, self.events
        memory = getattr(method, "memory", None)
        if not profile.routing_probes or memory is None:
            return None
        calibration = calibration_from(method.env.routing(method.variant, memory))
        if calibration is None:
            return None
        arm, _ = method.env.retrieval()
        bench = RoutingBench(memory, arm, calibration, profile.max_new_tokens)
        if self._probes is None:
            events.stage("retention benchmark: the base model's answers to the probes")
            probes = retention_probes(profile.routing_probes, corpus.text)
            self._probes = (probes, probe_base_answers(memory, probes, profile.max_new_tokens))
        probes, base = self._probes
        events.stage(f"{method.name}: retention benchmark ({len(probes)} out-of-scope probes)")
        rows = [
            CorpusAnswers(
                q,
                replies[q.id][method.name]["answer"],
                replies[q.id]["base"]["answer"] if "base" in replies[q.id] else None,
            )
            for q in corpus.questions
        ]
        return bench, routing_benchmark(bench, probes, base, rows)

    def _generic_intervals(
        self, golds: list[float], generic: Sequence[GenericQuestion], reference: list[str]
    ) -> dict[str, Any]:
        """The generic accuracy's interval, and the share of the base model's generic accuracy
        lost (1 - method / base, on the same questions) with its paired interval."""
        resamples, seed = self.profile.bootstrap_resamples, self.profile.seed
        base = [
            answer_scores(answer, probe.answers)["contains"]
            for answer, probe in zip(reference, generic, strict=True)
        ]
        low_high = interval(golds, resamples=resamples, seed=seed)
        drop = relative_drop_interval(golds, base, resamples=resamples, seed=seed)
        return {
            "generic_accuracy_ci": list(low_high) if low_high else None,
            "generic_relative_drop": relative_drop(golds, base),
            "generic_relative_drop_ci": list(drop) if drop else None,
        }

    def _aggregate(
        self, per_question: list[dict[str, Any]], task_names: list[str]
    ) -> tuple[dict[str, Any], dict[str, float | None], dict[str, list[float] | None]]:
        """Per task: n, the mean of every metric and its bootstrap interval (``ci``); the mean
        over tasks and its stratified interval."""
        resamples, seed = self.profile.bootstrap_resamples, self.profile.seed
        values = {
            task: {
                metric: [row[metric] for row in per_question if row["task"] == task]
                for metric in METRICS
            }
            for task in task_names
        }

        def bounds(found: tuple[float, float] | None) -> list[float] | None:
            return list(found) if found is not None else None

        tasks = {
            task: {
                "n": sum(1 for row in per_question if row["task"] == task),
                **{metric: mean(values[task][metric]) for metric in METRICS},
                # share of answers that ran into max_new_tokens (None: not known): a long,
                # right answer cut before its answer span scores as wrong
                "cut_off": mean(
                    float(row["cut_off"])
                    for row in per_question
                    if row["task"] == task and "cut_off" in row
                ),
                "ci": {
                    metric: bounds(interval(values[task][metric], resamples=resamples, seed=seed))
                    for metric in METRICS
                },
            }
            for task in task_names
        }
        overall = {metric: mean(t[metric] for t in tasks.values()) for metric in METRICS}
        overall_ci = {
            metric: bounds(
                stratified_interval(
                    [values[task][metric] for task in task_names], resamples=resamples, seed=seed
                )
            )
            for metric in METRICS
        }
        return tasks, overall, overall_ci


def profile_corpus(profile: BenchProfile, loaded: LoadedModel) -> BenchCorpus:
    """The corpus and questions of ``profile``, sized in ``loaded``'s tokens (deterministic: a
    later script rebuilds a run's corpus with it)."""
    tokenizer = loaded.tokenizer
    return build_corpus(
        profile.tasks,
        corpus_tokens=profile.corpus_tokens,
        questions_per_task=profile.questions_per_task,
        count_tokens=lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]),
        seed=profile.seed,
        needle_group_size=profile.needle_group_size,
        hotpot_paragraphs=profile.hotpot_paragraphs,
    )


def run_bench(
    profile: BenchProfile,
    out_dir: Path,
    load_model: Callable[[], LoadedModel],
    *,
    events: BenchEvents | None = None,
    fresh: bool = False,
) -> dict[str, Any]:
    """Run ``profile`` and return the report dict (``report.write_bench_report`` saves it)."""
    return BenchRunner(profile, out_dir, load_model, events=events, fresh=fresh).run()


def _arm_scores(per_question: list[dict[str, Any]], tasks: list[str]) -> dict[str, Any]:
    """The router's arms (memory, retrieval, combined) scored per task: contains and F1."""
    arms = sorted({arm for row in per_question for arm in row.get("arms", {})})
    return {
        arm: {
            task: {
                metric: mean(
                    row["arms"][arm][metric]
                    for row in per_question
                    if row["task"] == task and arm in row.get("arms", {})
                )
                for metric in ("contains", "f1")
            }
            for task in tasks
        }
        for arm in arms
    }
