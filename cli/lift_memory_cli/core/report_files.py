"""Writing a report folder: ``report.json``, ``report.md`` and its charts (PNG, drawn with
matplotlib's Agg backend: no display needed). `compare --report` and `bench` both write one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lift_memory_cli.core.json_values import jsonable

ChartWriter = Callable[[dict[str, Any], Path], None]
"""Draws a chart of the report into a PNG file."""


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (imported here: it takes a while)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: Path, title: str) -> None:
    """Title the figure, lay it out and write it to ``path``; then free it."""
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot().close(figure)


def write_report_files(
    report: dict[str, Any],
    directory: Path,
    *,
    markdown: str,
    charts: dict[str, tuple[str, ChartWriter]],
) -> dict[str, str]:
    """report.json, report.md (``markdown``) and every chart (key → (file name, writer)) in
    ``directory``, created if needed; their paths by key (``json``, ``markdown``, the charts')."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "report.json", "markdown": directory / "report.md"}
    paths["json"].write_text(
        json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["markdown"].write_text(markdown, encoding="utf-8")
    for key, (file_name, write_chart) in charts.items():
        paths[key] = directory / file_name
        write_chart(report, paths[key])
    return {key: str(path) for key, path in paths.items()}
