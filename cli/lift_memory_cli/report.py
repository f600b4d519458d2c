"""The `compare` report: scoring (answer contains the gold answer), the summary per mode, and
the files written by ``--report DIR``: report.json, report.md and chart.png (accuracy and
latency per mode, matplotlib's Agg backend — no display needed)."""

from __future__ import annotations

import json
import re
import statistics
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lift_memory_cli.errors import CliError
from lift_memory_cli.rendering import jsonable

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


@dataclass
class Question:
    question: str
    answers: list[str] = field(default_factory=list)  # gold answers; any one counts


def normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD-style)."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def contains_gold(answer: str, gold: list[str]) -> bool | None:
    """True if the normalized answer contains any normalized gold answer; None without gold."""
    golds = [normalize(g) for g in gold if normalize(g)]
    if not golds:
        return None
    found = normalize(answer)
    return any(g in found for g in golds)


def read_questions(path: Path) -> list[Question]:
    """A JSONL file: one object per line with ``question`` and optional ``answer`` (a string
    or a list of acceptable strings; ``answers`` works too). Blank lines and # comments skip."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CliError(f"no such questions file: {path}") from None
    except UnicodeDecodeError:
        raise CliError(f"questions file {path} is not UTF-8 text") from None
    questions: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise CliError(f"{path} line {number} is not JSON ({error.msg})") from None
        question = item.get("question") if isinstance(item, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise CliError(f'{path} line {number} has no "question" string')
        gold = item.get("answer", item.get("answers"))
        if gold is None:
            answers: list[str] = []
        elif isinstance(gold, str):
            answers = [gold]
        elif isinstance(gold, list) and all(isinstance(g, str) for g in gold):
            answers = list(gold)
        else:
            raise CliError(f'{path} line {number}: "answer" must be a string or a list of strings')
        questions.append(Question(question.strip(), answers))
    if not questions:
        raise CliError(f"questions file {path} has no questions")
    return questions


def summarize(rows: list[dict[str, Any]], modes: list[str]) -> dict[str, dict[str, Any]]:
    """Per mode: answered, scored, correct, accuracy, mean / p50 / max latency."""
    result: dict[str, dict[str, Any]] = {}
    for mode in modes:
        cells = [row["results"][mode] for row in rows if mode in row["results"]]
        scored = [c for c in cells if c.get("correct") is not None]
        correct = sum(1 for c in scored if c["correct"])
        latencies = [c["latency_s"] for c in cells]
        result[mode] = {
            "answered": len(cells),
            "scored": len(scored),
            "correct": correct,
            "accuracy": correct / len(scored) if scored else None,
            "mean_latency_s": statistics.fmean(latencies) if latencies else None,
            "p50_latency_s": statistics.median(latencies) if latencies else None,
            "max_latency_s": max(latencies) if latencies else None,
        }
    return result


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
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    """A PNG with accuracy per mode (when gold answers were given) and latency per mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    figure.suptitle(f"lift-memory compare: {report['memory']}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(report: dict[str, Any], directory: Path) -> dict[str, str]:
    """report.json, report.md and chart.png in ``directory`` (created); returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "report.json",
        "markdown": directory / "report.md",
        "chart": directory / "chart.png",
    }
    paths["json"].write_text(
        json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    chart(report, paths["chart"])
    return {key: str(value) for key, value in paths.items()}
