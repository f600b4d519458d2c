"""One benchmark run: build the corpus, then each method in turn — prepare, answer every
question, score its options, probe retention — and collect everything into one report dict.

Methods run one after another on one base model (an adapter is attached only while its method
runs). A method that fails is recorded as failed and the run goes on: an hour-long run should
not be lost to one broken arm (``LIFT_MEMORY_DEBUG=1`` re-raises instead).
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lift_memory.answer import generate_answer
from lift_memory.models import LoadedModel
from lift_memory_cli.benchmark.env import BenchEnv, ModelPool
from lift_memory_cli.benchmark.events import BenchEvents, NullEvents
from lift_memory_cli.benchmark.generic import GENERIC_QUESTIONS, UNRELATED_TEXT
from lift_memory_cli.benchmark.likelihood import option_logprobs, perplexity
from lift_memory_cli.benchmark.methods import METHOD_CLASSES, METHOD_DESCRIPTIONS, Method
from lift_memory_cli.benchmark.metrics import METRICS, answer_scores, mean, percentile
from lift_memory_cli.benchmark.profiles import BenchProfile, estimate_cost
from lift_memory_cli.benchmark.tasks import TASK_DESCRIPTIONS, BenchCorpus, build_corpus


def _write_inputs(corpus: BenchCorpus, out_dir: Path) -> None:
    """The generated corpus and questions, for inspection next to the report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "corpus.txt").write_text(corpus.text + "\n", encoding="utf-8")
    (out_dir / "questions.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "id": q.id,
                    "task": q.task,
                    "question": q.question,
                    "answers": list(q.answers),
                    "options": list(q.options),
                    "gold_option": q.gold_option,
                },
                ensure_ascii=False,
            )
            + "\n"
            for q in corpus.questions
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
        self.pool = ModelPool(load_model)
        self.fresh = fresh
        self.corpus_tokens = 1

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        profile, events = self.profile, self.events
        events.stage(f"loading {profile.model}")
        loaded = self.pool.get()
        events.stage("building the corpus and questions")
        tokenizer = loaded.tokenizer
        corpus = build_corpus(
            profile.tasks,
            corpus_tokens=profile.corpus_tokens,
            questions_per_task=profile.questions_per_task,
            count_tokens=lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]),
            seed=profile.seed,
            needle_group_size=profile.needle_group_size,
            hotpot_paragraphs=profile.hotpot_paragraphs,
        )
        _write_inputs(corpus, self.out_dir)
        env = BenchEnv(profile, corpus, self.pool, self.out_dir, events, fresh=self.fresh)
        self.corpus_tokens = max(env.corpus_tokens, 1)
        estimate = estimate_cost(profile, env.corpus_tokens)
        events.note(
            f"corpus: {env.corpus_tokens:,} tokens ({env.corpus_tokens / profile.window:.1f}x the "
            f"{profile.window}-token window), {len(corpus.questions)} questions; "
            f"estimate: {estimate.describe()}"
        )

        events.stage("base-model reference answers and perplexity")
        generic = GENERIC_QUESTIONS[: profile.generic_questions]
        reference = [
            generate_answer(loaded, g.question, max_new_tokens=profile.max_new_tokens).text
            for g in generic
        ]
        base_ppl = perplexity(loaded, UNRELATED_TEXT)

        needs_budget = {"lora", "pissa"} & set(profile.methods)
        budget = env.budget().to_json() if needs_budget else None
        results: dict[str, Any] = {}
        replies: dict[str, dict[str, Any]] = {q.id: {} for q in corpus.questions}
        for name in profile.methods:
            method = METHOD_CLASSES[name](env)
            results[name] = self._run_method(method, corpus, replies, reference, base_ppl)

        tasks = corpus.tasks()
        return {
            "profile": profile.model_dump(mode="json"),
            "model": profile.model,
            "created_at": _now(),
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
            "estimate": {
                "training_tokens": estimate.training_tokens,
                "answers": estimate.answers,
                "minutes": estimate.minutes,
            },
            "parameter_budget": budget,
            "retention_reference": {
                "questions": [g.question for g in generic],
                "base_answers": reference,
                "base_perplexity": base_ppl,
            },
            "results": results,
            "questions": [
                {
                    "id": q.id,
                    "task": q.task,
                    "question": q.question,
                    "answers": list(q.answers),
                    "options": list(q.options),
                    "gold_option": q.gold_option,
                    "replies": replies[q.id],
                }
                for q in corpus.questions
            ],
        }

    def _run_method(
        self,
        method: Method,
        corpus: BenchCorpus,
        replies: dict[str, dict[str, Any]],
        reference: list[str],
        base_ppl: float,
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
        base_ppl: float,
    ) -> dict[str, Any]:
        name, events, profile = method.name, self.events, self.profile
        events.stage(f"{name}: preparing")
        costs = method.setup()
        try:
            generic = GENERIC_QUESTIONS[: profile.generic_questions]
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
                cell = {
                    "answer": reply.text,
                    "latency_s": reply.latency_s,
                    **answer_scores(reply.text, question.answers),
                    "mc_choice": choice,
                    "mc_accuracy": float(choice == question.gold_option),
                    "option_logprobs": scores,
                }
                if reply.chosen is not None:
                    cell["chosen"] = reply.chosen
                replies[question.id][name] = cell
                per_question.append({"task": question.task, **cell})
                events.answering(name, done, total)

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
                perplexity(method.loaded, UNRELATED_TEXT, adapter=method.adapter, use_memory=True)
                if method.retention_probe == "ask" and method.adapter is not None
                else base_ppl
            )
        finally:
            method.teardown()

        tasks = {
            task: {
                "n": sum(1 for row in per_question if row["task"] == task),
                **{
                    metric: mean(row[metric] for row in per_question if row["task"] == task)
                    for metric in METRICS
                },
            }
            for task in corpus.tasks()
        }
        overall = {metric: mean(t[metric] for t in tasks.values()) for metric in METRICS}
        latencies = [row["latency_s"] for row in per_question]
        result = {
            "status": "ok",
            "tasks": tasks,
            "overall": overall,
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
                "base_agreement_f1": mean(r["agreement"] for r in retention_rows),
                "perplexity": ppl,
                "perplexity_without_memory": base_ppl,
                "perplexity_ratio": ppl / base_ppl if base_ppl else None,
                "answers": probe_answers,
            }
            if method.retention_probe != "none"
            else None,
        }
        chosen = [row.get("chosen") for row in per_question if row.get("chosen")]
        if chosen:
            result["router_choices"] = {arm: chosen.count(arm) for arm in sorted(set(chosen))}
        events.method_done(
            name,
            f"mc {overall['mc_accuracy']:.0%} · contains {overall['contains']:.0%} · "
            f"p50 {result['costs']['ask_p50_s']:.2f}s",
        )
        return result


def _now() -> str:
    from lift_memory.manifest import utc_now_iso

    return utc_now_iso()


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
