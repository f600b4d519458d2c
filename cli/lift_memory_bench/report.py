"""The benchmark's files: report.json (everything), report.md (the tables) and two PNG plots —
accuracy per method per task, and accuracy against cost (matplotlib's Agg backend, no display).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lift_memory_cli.core.json_values import jsonable
from lift_memory_cli.rendering import human_bytes, human_seconds

from lift_memory_bench.routing_report import router_arms_section, routing_section

METRIC_TITLES = {
    "mc_accuracy": "multiple-choice accuracy (option log-likelihood)",
    "contains": "answer contains the gold answer",
    "exact_match": "exact match",
    "f1": "token F1",
}


def _ok(report: dict[str, Any]) -> list[str]:
    return [m for m in report["methods"] if report["results"][m]["status"] == "ok"]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _int(value: int | None) -> str:
    return "-" if not value else f"{value:,}"


def _pct_ci(value: float | None, ci: list[float] | None) -> str:
    """'67% [50–83]': the score and its bootstrap interval, in percent."""
    if value is None or ci is None:
        return _pct(value)
    return f"{100 * value:.0f}% [{100 * ci[0]:.0f}–{100 * ci[1]:.0f}]"


def _accuracy_table(report: dict[str, Any], metric: str) -> list[str]:
    tasks = report["tasks"]
    lines = [
        "| method | " + " | ".join(tasks) + " | mean |",
        "|---|" + "---|" * (len(tasks) + 1),
    ]
    for method in report["methods"]:
        result = report["results"][method]
        if result["status"] != "ok":
            lines.append(f"| {method} | " + " | ".join("n/a" for _ in tasks) + " | n/a |")
            continue
        cells = [
            _pct_ci(result["tasks"][t][metric], result["tasks"][t].get("ci", {}).get(metric))
            for t in tasks
        ]
        overall = _pct_ci(result["overall"][metric], result.get("overall_ci", {}).get(metric))
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {overall} |")
    return lines


def _cut_off_table(report: dict[str, Any]) -> list[str]:
    """Share of each method's answers that ran into the token limit, per task (methods that
    know it; reports written before the field have none)."""
    tasks = report["tasks"]
    rows = [
        (method, [report["results"][method]["tasks"][t].get("cut_off") for t in tasks])
        for method in _ok(report)
    ]
    rows = [(method, shares) for method, shares in rows if any(s is not None for s in shares)]
    if not rows:
        return []
    lines = [
        "## Answers cut off at the token limit",
        "",
        f"Share of answers that stopped at {report['profile']['max_new_tokens']} new tokens, not "
        "at their end: a right answer that puts its answer late can be cut before it.",
        "",
        "| method | " + " | ".join(tasks) + " |",
        "|---|" + "---|" * len(tasks),
    ]
    lines += [
        f"| {method} | " + " | ".join(_pct(s) for s in shares) + " |" for method, shares in rows
    ]
    return [*lines, ""]


def _confidence_note(report: dict[str, Any]) -> list[str]:
    confidence = report.get("confidence") or {}
    if not confidence.get("resamples"):
        return []
    return [
        f"In brackets: the {100 * confidence['level']:.0f}% confidence interval of each score, a "
        f"seeded percentile bootstrap over the task's questions ({confidence['resamples']} "
        "resamples; the mean over tasks resamples within each task). It says how far the score "
        "could move with another draw of questions like these — not across seeds, corpora or "
        "training runs. Intervals that overlap do not tell two methods apart.",
        "",
    ]


def _training_table(report: dict[str, Any]) -> list[str]:
    """What the recipe's own accounting says, for the methods that trained a memory."""
    rows = []
    for method in _ok(report):
        c = report["results"][method]["costs"]
        if c.get("facts_total") is None and c.get("train_tokens_per_corpus_token") is None:
            continue
        learned = (
            f"{c['facts_learned']:,} / {c['facts_total']:,}"
            if c.get("facts_total") is not None and c.get("facts_learned") is not None
            else "-"
        )
        epochs = ", ".join(f"{k} {v}" for k, v in (c.get("epochs_run") or {}).items()) or "-"
        rows.append(
            f"| {method} | {learned} | {_num(c.get('train_tokens_per_corpus_token'), 1)} | "
            f"{_int(c.get('qa_pairs'))} | {epochs} |"
        )
    if not rows:
        return []
    return [
        "## Training",
        "",
        "From each memory's manifest: facts extractable closed-book after the last epoch "
        "(every answer token above the threshold, teacher-forced; only with `learn_until`), "
        "training tokens per corpus token, QA pairs, and epochs run per stage.",
        "",
        "| method | facts learned | training tokens / corpus token | QA pairs | epochs run |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]


def _learning_curve_table(report: dict[str, Any]) -> list[str]:
    """Recall against cost during training: the facts extractable after each epoch of the
    memories trained with `learn_until`, and the tokens and minutes spent by then."""
    rows, shown = [], set()
    for method in _ok(report):
        costs = report["results"][method]["costs"]
        if costs.get("memory") in shown:  # the hybrid answers from the LoRA's training
            continue
        shown.add(costs.get("memory"))
        curve = costs.get("learning_curve") or []
        rows += [
            f"| {method} | {point['epoch']} | {point['facts_learned']:,} / "
            f"{point['facts_total']:,} | {point['tokens']:,} | {point['seconds'] / 60:.1f} | "
            f"{point.get('probe_seconds', 0.0) / 60:.1f} |"
            for point in curve
        ]
    if not rows:
        return []
    return [
        "## Learning curve",
        "",
        "Facts extractable closed-book after each epoch of the training stage with a target "
        "(teacher-forced, the ingest's own probe), and the training tokens and minutes spent by "
        "then (probes included; the last column is that epoch's probe alone, 0.0 where not "
        "recorded); each trained memory once.",
        "",
        "| method | epoch | facts learned | training tokens | minutes | probe minutes |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _perplexity_columns(report: dict[str, Any]) -> list[str]:
    """The genres of the unrelated texts, in the order the base run measured them."""
    reference = report["retention_reference"]
    return list(reference.get("base_perplexity_by_text") or {})


def markdown(report: dict[str, Any]) -> str:
    profile = report["profile"]
    corpus = report["corpus"]
    n_questions = len(report["questions"])
    lines = [
        f"# lift-memory bench: profile `{profile['name']}`",
        "",
        f"Base model `{report['model']}`; emulated window {report['window']} tokens; one corpus of "
        f"{corpus['tokens']:,} tokens ({corpus['window_multiple']:.1f}x the window) shared by "
        f"all tasks; {n_questions} questions ({profile['questions_per_task']} per task); "
        f"created {report['created_at']}; run time {human_seconds(report['seconds'])}.",
        "",
        "Every method answers every question on the same base model (greedy, at most "
        f"{profile['max_new_tokens']} new tokens). **mc** scores each multiple-choice option's "
        "mean token log-likelihood as the reply, under the method's own context and adapter "
        "(robust for small models); **contains**, **EM** and **F1** score the free-text answer "
        "(SQuAD normalisation, whole words). A timeline question names both candidates, so its "
        "free-text answer is scored by the candidate it picks: it must name the gold one and "
        "not the other.",
        "",
        *_confidence_note(report),
    ]
    for metric in ("mc_accuracy", "contains"):
        lines += [f"## Accuracy per task: {METRIC_TITLES[metric]}", ""]
        lines += _accuracy_table(report, metric)
        lines.append("")
    lines += ["![accuracy per method and task](accuracy.png)", ""]
    lines += _cut_off_table(report)

    lines += [
        "## All metrics (mean over tasks)",
        "",
        "| method | mc | contains | EM | F1 |",
        "|---|---|---|---|---|",
    ]
    for method in _ok(report):
        result = report["results"][method]
        o, ci = result["overall"], result.get("overall_ci", {})
        lines.append(
            f"| {method} | {_pct_ci(o['mc_accuracy'], ci.get('mc_accuracy'))} | "
            f"{_pct_ci(o['contains'], ci.get('contains'))} | "
            f"{_pct_ci(o['exact_match'], ci.get('exact_match'))} | {_num(o['f1'])} |"
        )

    lines += [
        "",
        "## Costs",
        "",
        "Ingest: training (LIFT, LoRA, PiSSA; QA generation and retention answers included) or "
        "chunking + embedding (Chroma); hybrid pays both. Latency: one answer, retrieval included.",
        "",
        "| method | ingest | s / 1k corpus tokens | training tokens | trainable params | "
        "adapter | index | ask p50 | ask p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method in _ok(report):
        c = report["results"][method]["costs"]
        reused = " (reused)" if c.get("reused_training") else ""
        lines.append(
            f"| {method} | {human_seconds(c['ingest_s']) if c['ingest_s'] else '-'}{reused} | "
            f"{_num(c['ingest_s_per_1k_tokens']) if c['ingest_s'] else '-'} | "
            f"{_int(c['train_tokens'])} | {_int(c['trainable_params'])} | "
            f"{human_bytes(c['adapter_bytes']) if c['adapter_bytes'] else '-'} | "
            f"{human_bytes(c['index_bytes']) if c['index_bytes'] else '-'} | "
            f"{human_seconds(c['ask_p50_s'])} | {human_seconds(c['ask_p95_s'])} |"
        )
    kept = [m for m in _ok(report) if report["results"][m].get("answers_reused")]
    if kept:
        lines += [
            "",
            f"Answers of {', '.join(kept)} were kept from an earlier run into this folder with "
            "the same settings, corpus and memories (its latencies are that run's).",
        ]
    lines += ["", "![accuracy against cost](cost.png)", ""]
    lines += _training_table(report)
    lines += _learning_curve_table(report)

    budget = report.get("parameter_budget")
    if budget:
        lines += [
            "## Matched parameter budget (LoRA / PiSSA ablation)",
            "",
            f"Gated Memory: {budget['gated_memory_params']:,} trainable parameters. LoRA / PiSSA "
            f"rank {budget['lora_rank']} on the profile's target modules: "
            f"{budget['lora_params']:,} parameters "
            f"({budget['lora_params_per_rank']:,} per rank; ratio "
            f"{budget['lora_params'] / max(budget['gated_memory_params'], 1):.2f}).",
            "",
        ]

    reference = report["retention_reference"]
    genres = _perplexity_columns(report)
    lines += [
        "## General-capability retention",
        "",
        f"{len(reference['questions'])} generic questions unrelated to the corpus, sharing no "
        "template with the prompts ingest trains on, answered through each method's own "
        "pipeline with its memory attached: accuracy against gold answers (base model "
        f"{_pct(reference.get('base_generic_accuracy'))}), the share of the base model's "
        "accuracy lost (drop; the interval resamples both on the same questions), and token F1 "
        "against the base model's own closed-book answers (the base row). "
        f"Perplexity of {len(genres)} short unrelated texts of other genres than the retention "
        f"passages ingest trains on ({', '.join(genres)}) with the method's adapter attached, "
        "against the base model: the ratio per text and its mean (1.00 = no damage; mean base "
        f"perplexity {_num(reference['base_perplexity'])}). Methods without a memory of their "
        "own (ICL, RAG, and LIFT + ICL, whose memory is the `lift` row's) are not probed.",
        "",
        "| method | generic accuracy | drop vs base | agreement with base (F1) | "
        "perplexity ratio (mean) | " + " | ".join(genres) + " |",
        "|---|---|---|---|---|" + "---|" * len(genres),
    ]
    for method in _ok(report):
        r = report["results"][method]["retention"]
        if r is None:
            continue
        by_text = r.get("perplexity_by_text") or {}
        ratios = [_num(by_text[g]["ratio"]) if g in by_text else "-" for g in genres]
        lines.append(
            f"| {method} | {_pct_ci(r['generic_accuracy'], r.get('generic_accuracy_ci'))} | "
            f"{_pct_ci(r.get('generic_relative_drop'), r.get('generic_relative_drop_ci'))} | "
            f"{_num(r['base_agreement_f1'])} | "
            f"{_num(r['perplexity_ratio'])} | " + " | ".join(ratios) + " |"
        )

    routed = {
        m: report["results"][m]["router_choices"]
        for m in _ok(report)
        if report["results"][m].get("router_choices")
    }
    if routed:
        lines += ["", "## Hybrid router choices", ""]
        for method, choices in routed.items():
            text = ", ".join(f"{arm} {count}" for arm, count in choices.items())
            lines.append(f"- {method}: {text}")
    lines += router_arms_section(report)
    lines += routing_section(report)

    not_run = [m for m in report["methods"] if report["results"][m]["status"] != "ok"]
    if not_run:
        lines += ["", "## Not run", ""]
        for method in not_run:
            result = report["results"][method]
            lines.append(f"- {method}: {result['status']} — {result['reason']}")

    lines += ["", "## Methods", ""]
    lines += [f"- **{m}**: {d}" for m, d in report["method_descriptions"].items()]
    lines += ["", "## Tasks", ""]
    lines += [f"- **{t}**: {d}" for t, d in report["task_descriptions"].items()]
    estimate = report["estimate"]["training_tokens"]
    most = report["estimate"].get("most_training_tokens", {})  # reports since 2026-12-03
    if estimate:
        trainings = ", ".join(
            f"{k} ~{v / 1000:.0f}k" + (f" (at most {most[k] / 1000:.0f}k)" if k in most else "")
            for k, v in estimate.items()
        )
        lines += ["", f"Training tokens as estimated before the run: {trainings}."]
    lines += ["", "Per-question answers and option scores: report.json (`questions`)."]
    return "\n".join(lines) + "\n"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_chart(report: dict[str, Any], path: Path) -> None:
    """Grouped bars: for each task, one bar per method (mc accuracy, then contains), with the
    bootstrap confidence interval as an error bar where the report has one."""
    plt = _pyplot()
    methods, tasks = _ok(report), report["tasks"]
    groups = [*tasks, "mean"]
    figure, axes = plt.subplots(2, 1, figsize=(max(8, 1.6 * len(groups) + 3), 8), squeeze=False)
    width = 0.8 / max(len(methods), 1)
    for ax, metric in zip(axes[:, 0], ("mc_accuracy", "contains"), strict=True):
        for index, method in enumerate(methods):
            result = report["results"][method]
            values = [100 * (result["tasks"][t][metric] or 0.0) for t in tasks]
            values.append(100 * (result["overall"][metric] or 0.0))
            cis = [result["tasks"][t].get("ci", {}).get(metric) for t in tasks]
            cis.append(result.get("overall_ci", {}).get(metric))
            # matplotlib wants distances below and above each bar, not the bounds
            errors = [
                [
                    max(v - 100 * ci[0], 0.0) if ci else 0.0
                    for v, ci in zip(values, cis, strict=True)
                ],
                [
                    max(100 * ci[1] - v, 0.0) if ci else 0.0
                    for v, ci in zip(values, cis, strict=True)
                ],
            ]
            positions = [g + (index - (len(methods) - 1) / 2) * width for g in range(len(groups))]
            ax.bar(
                positions,
                values,
                width,
                label=method,
                color=f"C{index % 10}",
                yerr=errors if any(cis) else None,
                error_kw={"elinewidth": 0.8, "capsize": 1.5, "alpha": 0.6},
            )
        ax.set_xticks(range(len(groups)), groups)
        ax.set_ylim(0, 105)
        ax.set_ylabel("%")
        ax.set_title(METRIC_TITLES[metric])
    axes[0][0].legend(ncol=min(len(methods), 6), fontsize=8, loc="upper right")
    figure.suptitle(f"lift-memory bench ({report['profile']['name']}): accuracy per task")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def cost_chart(report: dict[str, Any], path: Path) -> None:
    """Mean mc accuracy against ingest cost and against ask latency, one point per method."""
    plt = _pyplot()
    methods = _ok(report)
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5), squeeze=False)
    panels = (
        ("ingest_s_per_1k_tokens", "ingest seconds per 1k corpus tokens", "symlog"),
        ("ask_p50_s", "ask latency p50, s", "log"),
    )
    for ax, (key, label, scale) in zip(axes[0], panels, strict=True):
        for index, method in enumerate(methods):
            result = report["results"][method]
            x = result["costs"][key] or 0.0
            y = 100 * (result["overall"]["mc_accuracy"] or 0.0)
            ax.scatter([x], [y], color=f"C{index % 10}")
            ax.annotate(method, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        if scale == "symlog":
            ax.set_xscale("symlog", linthresh=0.1)
        elif all((report["results"][m]["costs"][key] or 0) > 0 for m in methods):
            ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("mean mc accuracy, %")
        ax.set_ylim(-5, 105)
        ax.grid(alpha=0.3)
    figure.suptitle(f"lift-memory bench ({report['profile']['name']}): accuracy vs cost")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_bench_report(report: dict[str, Any], directory: Path) -> dict[str, str]:
    """report.json, report.md, accuracy.png and cost.png in ``directory``; their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "report.json",
        "markdown": directory / "report.md",
        "accuracy_chart": directory / "accuracy.png",
        "cost_chart": directory / "cost.png",
    }
    paths["json"].write_text(
        json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    accuracy_chart(report, paths["accuracy_chart"])
    cost_chart(report, paths["cost_chart"])
    return {key: str(value) for key, value in paths.items()}
