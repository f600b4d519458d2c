"""The files of `lift-memory compare --report DIR`: report.json, report.md and chart.png
(accuracy and latency per mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lift_memory_cli.core.report_files import pyplot, save_figure, write_report_files


def _md_cell(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def _mark(correct: bool | None) -> str:
    return {True: "✓ ", False: "✗ ", None: ""}[correct]


def markdown(report: dict[str, Any]) -> str:
    modes = report["modes"]
    lines = [
        f"# lift-memory compare: `{report['memory']}`",
        "",
        f"Base model `{report['model']}`, {report['corpus_tokens']:,} corpus tokens, "
        f"{len(report['questions'])} question(s), created {report['created_at']}.",
        "Accuracy: the answer contains the gold answer (case, punctuation and articles ignored).",
        "",
        "| mode | accuracy | correct / scored | mean latency (s) | p50 latency (s) |",
        "|---|---|---|---|---|",
    ]
    for mode in modes:
        s = report["summary"][mode]
        accuracy = f"{s['accuracy']:.0%}" if s["accuracy"] is not None else "-"
        mean = f"{s['mean_latency_s']:.2f}" if s["mean_latency_s"] is not None else "-"
        p50 = f"{s['p50_latency_s']:.2f}" if s["p50_latency_s"] is not None else "-"
        lines.append(f"| {mode} | {accuracy} | {s['correct']} / {s['scored']} | {mean} | {p50} |")
    lines += ["", "![accuracy and latency per mode](chart.png)", "", "## Answers", ""]
    lines.append("| # | question | gold | " + " | ".join(modes) + " |")
    lines.append("|---|---|---|" + "---|" * len(modes))
    for index, row in enumerate(report["questions"], start=1):
        cells = [
            _mark(row["results"][m].get("correct")) + _md_cell(row["results"][m]["answer"])
            for m in modes
        ]
        gold = " / ".join(row["gold"]) if row["gold"] else "-"
        lines.append(
            f"| {index} | {_md_cell(row['question'])} | {_md_cell(gold)} | "
            + " | ".join(cells)
            + " |"
        )
    hybrid = [row["results"]["hybrid"] for row in report["questions"] if "hybrid" in row["results"]]
    if hybrid:
        chosen = [h.get("chosen") for h in hybrid]
        counts = ", ".join(f"{arm} {chosen.count(arm)}" for arm in sorted(set(chosen), key=str))
        lines += ["", f"Hybrid router choices: {counts}."]
    auto = [row["results"]["auto"] for row in report["questions"] if "auto" in row["results"]]
    routes = [(cell.get("route") or {}).get("route") for cell in auto]
    if routes:
        counts = ", ".join(
            f"{route} {routes.count(route)}" for route in sorted(set(routes), key=str)
        )
        lines += ["", f"Auto mode routes: {counts}."]
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    """A PNG with accuracy per mode (when gold answers were given) and latency per mode."""
    plt = pyplot()
    modes = report["modes"]
    summary = report["summary"]
    scored = any(summary[m]["accuracy"] is not None for m in modes)
    panels = 2 if scored else 1
    figure, axes = plt.subplots(1, panels, figsize=(5 * panels + 1, 4), squeeze=False)
    colors = [f"C{i}" for i in range(len(modes))]
    index = 0
    if scored:
        ax = axes[0][index]
        values = [100 * (summary[m]["accuracy"] or 0.0) for m in modes]
        bars = ax.bar(modes, values, color=colors)
        ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values])
        ax.set_ylim(0, 110)
        ax.set_ylabel("accuracy (answer contains gold), %")
        ax.set_title("accuracy per mode")
        index += 1
    ax = axes[0][index]
    means = [summary[m]["mean_latency_s"] or 0.0 for m in modes]
    bars = ax.bar(modes, means, color=colors)
    ax.bar_label(bars, labels=[f"{v:.2f}s" for v in means])
    ax.set_ylabel("mean latency per question, s")
    ax.set_title("latency per mode")
    save_figure(figure, path, f"lift-memory compare: {report['memory']}")


def write_report(report: dict[str, Any], directory: Path) -> dict[str, str]:
    """report.json, report.md and chart.png in ``directory`` (created); returns their paths."""
    return write_report_files(
        report, directory, markdown=markdown(report), charts={"chart": ("chart.png", chart)}
    )
