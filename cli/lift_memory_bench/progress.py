"""Progress of `lift-memory bench`: ingest's Reporter (stages, training bars) plus one bar per
method while it answers, and a result line when it finishes."""

from __future__ import annotations

from lift_memory_cli.progress import Reporter
from rich.markup import escape
from rich.progress import TaskID


class BenchReporter(Reporter):
    """Implements :class:`lift_memory_bench.events.BenchEvents` on a rich console."""

    _answer_task: TaskID | None = None
    _answer_method: str | None = None

    # the harness reports plain text: brackets in it are not rich markup
    def stage(self, message: str) -> None:
        super().stage(escape(message))

    def note(self, message: str) -> None:
        super().note(escape(message))

    def answering(self, method: str, done: int, total: int) -> None:
        if self.quiet:
            return
        if self._progress is None:  # not a terminal: one line per method
            if done == 0:
                self.console.print(f"… {method}: answering {total} questions / retention probes")
            return
        if self._answer_method != method:
            self._finish_stage()
            self._finish_training()
            self._drop_answer_task()
            self._answer_method = method
            self._answer_task = self._progress.add_task(
                f"{method}: answering", total=total, stats=""
            )
        assert self._answer_task is not None
        self._progress.update(self._answer_task, completed=done, total=total)

    def method_done(self, method: str, summary: str) -> None:
        self._finish_stage(show=False)
        self._finish_training()
        self._drop_answer_task()
        if self.quiet:
            return
        ok = not summary.startswith(("failed", "skipped"))
        mark = "[green]✓[/]" if ok else "[yellow]![/]"
        target = self._progress.console if self._progress is not None else self.console
        target.print(f"{mark} {escape(method)}: {escape(summary)}")

    def _drop_answer_task(self) -> None:
        if self._progress is not None and self._answer_task is not None:
            self._progress.remove_task(self._answer_task)
        self._answer_task = None
        self._answer_method = None
