"""Progress of long work: rich live bars on a terminal, plain lines otherwise, nothing with --json.

The engine reports through two callbacks (``on_stage(message)`` and ``on_progress(TrainProgress)``
after every optimizer step); :class:`Reporter` turns them into

    ✓ read 2 documents (1,012 tokens → 7 segments of 256, stride 128)
    ⠋ generating 40 QA pairs (cloze)
    segments+qa · epoch 3/5 ━━━━━━━━━━━╸━━━━━━━━  31/46 steps · loss 1.214 · 98 tok/s · ETA 1m52s
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from lift_memory_cli.rendering import human_seconds


class _StepBar(BarColumn):
    """A bar for tasks with steps; nothing for a spinner-only stage."""

    def render(self, task: Task) -> Any:
        return super().render(task) if task.total is not None else Text("")


class _Steps(ProgressColumn):
    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed)}/{int(task.total)} steps")


class Reporter:
    """Stage messages and training progress for one command run."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self._progress: Progress | None = None
        self._stage_task: TaskID | None = None
        self._train_task: TaskID | None = None
        self._stage_started = time.perf_counter()
        self._stage_message: str | None = None
        self._last_epoch: tuple[str, int] | None = None
        self._last_line = 0.0
        self._last_progress: Any = None

    # --- lifecycle
    def __enter__(self) -> Reporter:
        if self.live:
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓[/]"),
                TextColumn("{task.description}"),
                _StepBar(bar_width=30),
                _Steps(),
                TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
                expand=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._finish_stage(ok=exc[0] is None)
        self._finish_training()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # --- stages
    def stage(self, message: str) -> None:
        """A new phase starts (the previous one is done)."""
        self._finish_stage()
        self._finish_training()
        self._stage_message = message
        self._stage_started = time.perf_counter()
        if self.quiet:
            return
        if self._progress is not None:
            self._stage_task = self._progress.add_task(message, total=None, stats="")
        else:
            self.console.print(f"… {message}")

    def _finish_stage(
        self, ok: bool = True, *, show: bool = True, message: str | None = None
    ) -> None:
        if self._stage_message is None:
            return
        seconds = time.perf_counter() - self._stage_started
        if self._progress is not None and self._stage_task is not None:
            self._progress.remove_task(self._stage_task)
            if show:
                mark = "[green]✓[/]" if ok else "[red]✗[/]"
                self._progress.console.print(
                    f"{mark} {message or self._stage_message} ({human_seconds(seconds)})"
                )
        elif message is not None and not self.quiet:
            self.console.print(f"✓ {message} ({human_seconds(seconds)})")
        self._stage_task = None
        self._stage_message = None

    def done(self, message: str) -> None:
        """The current phase finished: its line becomes ``✓ message (time)``."""
        if self._stage_message is not None:
            self._finish_stage(message=message)
            return
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(f"[green]✓[/] {message}")
        else:
            self.console.print(f"✓ {message}")

    def _finish_training(self) -> None:
        """The training bar becomes a static summary line."""
        if self._progress is None or self._train_task is None:
            return
        self._progress.remove_task(self._train_task)
        self._train_task = None
        if self._last_progress is not None:
            p = self._last_progress
            # with learn_until, stage 2 may end early: its facts were learned, not cut short
            learned = getattr(p, "facts_total", None) is not None
            mark = "[green]✓[/]" if p.step >= p.total_steps or learned else "[red]✗[/]"
            facts = f" · facts learned: {p.facts_learned} / {p.facts_total}" if learned else ""
            self._progress.console.print(
                f"{mark} trained {p.step}/{p.total_steps} steps · final loss {p.loss:.3f} · "
                f"{p.tokens_per_s:.0f} tok/s ({human_seconds(p.elapsed_s)}){facts}"
            )

    def note(self, message: str) -> None:
        if self.quiet:
            return
        target = self._progress.console if self._progress is not None else self.console
        target.print(message)

    def warn(self, message: str) -> None:
        """``warning: message``, shown even with --json (it goes to stderr, not the JSON)."""
        target = self._progress.console if self._progress is not None else self.console
        target.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)

    # --- training
    def train(self, p: Any) -> None:
        """``on_progress`` callback: one optimizer step of the LIFT trainer finished."""
        self._last_progress = p
        if self.quiet:
            return
        stats = f"· loss {p.loss:.3f} · {p.tokens_per_s:.0f} tok/s · ETA {human_seconds(p.eta_s)}"
        if getattr(p, "facts_total", None):
            stats += f" · facts learned: {p.facts_learned} / {p.facts_total}"
        description = f"{p.stage} · epoch {p.epoch}/{p.epochs}"
        if self._progress is not None:
            if self._stage_task is not None:  # "training the memory" becomes the bar
                self._finish_stage(show=False)
            if self._train_task is None:
                self._train_task = self._progress.add_task(
                    description, total=p.total_steps, stats=stats
                )
            self._progress.update(
                self._train_task,
                description=description,
                completed=p.step,
                total=p.total_steps,
                stats=stats,
            )
            return
        # Not a terminal: one line per epoch, and at most one every 30 s within long epochs.
        now = time.perf_counter()
        key = (p.stage, p.epoch)
        if key != self._last_epoch or now - self._last_line > 30 or p.step == p.total_steps:
            self._last_epoch = key
            self._last_line = now
            self.console.print(f"  {description}: step {p.step}/{p.total_steps} {stats}")
