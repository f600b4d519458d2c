"""A run's summary (what was lost, what resumed) and its Markdown report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from lift_memory_bench.crash_safety.overwrite import OverwriteTrialResult
from lift_memory_bench.crash_safety.trials import TrialResult


def summarize(
    results: Sequence[TrialResult], signal_results: Sequence[TrialResult]
) -> dict[str, Any]:
    kills = list(results)
    lost = sum(1 for r in [*kills, *signal_results] if r.store_problems) + sum(
        1 for r in [*kills, *signal_results] if not r.state_after_resume.startswith("complete")
    )
    needed = [r for r in [*kills, *signal_results] if r.resume_needed]
    return {
        "sigkill_trials": len(kills),
        "phases_targeted": dict(Counter(r.target for r in kills)),
        "phases_hit": dict(Counter(r.phase_hit for r in kills)),
        "memories_lost": lost,
        "resumes_needed": len(needed),
        "resumes_completed": sum(1 for r in needed if r.resume_exit_code == 0),
        "answers_equal_to_uninterrupted": sum(
            1 for r in [*kills, *signal_results] if r.answers_equal
        ),
        "max_adapter_abs_diff": max(
            (r.adapter_max_abs_diff or 0.0 for r in [*kills, *signal_results]), default=0.0
        ),
        "leftovers_after_resume": sum(
            len(r.leftovers_after_resume) for r in [*kills, *signal_results]
        ),
        "signal_trials": [
            {
                "signal": r.signal,
                "exit_code": r.exit_code,
                "message": r.message,
                "checkpoint_step": r.checkpoint_step,
                "train_steps_done": r.train_steps_done,
                "resumed_from_step": r.resumed_from_step,
            }
            for r in signal_results
        ],
        "all_ok": all(r.ok for r in [*kills, *signal_results]),
    }


def summarize_overwrites(results: Sequence[OverwriteTrialResult]) -> dict[str, Any]:
    """What the overwrite trials showed: the memory complete and answering after every kill."""
    return {
        "overwrite_trials": len(results),
        "phases_hit": dict(Counter(r.phase_hit for r in results)),
        "versions_after_kill": dict(Counter(r.version_after_kill for r in results)),
        "answering_after_kill": sum(1 for r in results if r.answers_after_kill_ok),
        "finished": dict(Counter(r.finished_with for r in results)),
        "equal_to_uninterrupted": sum(1 for r in results if r.answers_equal),
        "max_adapter_abs_diff": max((r.adapter_max_abs_diff or 0.0 for r in results), default=0.0),
        "leftovers_after_finish": sum(len(r.leftovers_after_finish) for r in results),
        "all_ok": all(r.ok for r in results),
    }


def _overwrite_markdown(report: dict[str, Any]) -> list[str]:
    s = report.get("overwrite_summary")
    if not s or not s["overwrite_trials"]:
        return []
    lines = [
        "",
        "`ingest --overwrite` killed with SIGKILL (the previous memory must stay complete and "
        "answering):",
        "",
        f"- overwrite trials: **{s['overwrite_trials']}**; phases hit: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(s['phases_hit'].items()))}",
        f"- after the kill: {', '.join(f'{k} {v}' for k, v in sorted(s['versions_after_kill'].items()))}"
        f" (old: byte-identical previous memory; new: swapped in, complete); answering like an "
        f"uninterrupted ingest: **{s['answering_after_kill']} / {s['overwrite_trials']}**",
        f"- finished with: {', '.join(f'{k} {v}' for k, v in sorted(s['finished'].items()))}; "
        f"equal to the uninterrupted new memory: {s['equal_to_uninterrupted']} / "
        f"{s['overwrite_trials']} (largest adapter difference {s['max_adapter_abs_diff']:.2e}); "
        f"leftovers: {s['leftovers_after_finish']}",
        "",
        "| # | target | phase hit (last marker) | after kill | answering | finished with | answers equal |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in report["overwrite_trials"]:
        finish = t["finished_with"]
        if t["finish_exit_code"] is not None:
            finish += f" (exit {t['finish_exit_code']})"
        lines.append(
            f"| {t['trial']} | {t['target']} | {t['phase_hit']} (`{t['last_marker']}`) | "
            f"{t['version_after_kill']} | {'yes' if t['answers_after_kill_ok'] else 'NO'} | "
            f"{finish} | {'yes' if t['answers_equal'] else 'NO'} |"
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        f"Command: `{report['command']}`  ",
        f"Runner: {report['runner']}, seed {report['seed']}, phase delay {report['delay_s']} s, "
        f"RAG arm: {report['rag']}, "
        f"{report['seconds']:.0f} s in all.",
        "",
        f"- SIGKILL trials: **{s['sigkill_trials']}**",
        f"- phases hit: {', '.join(f'{k} {v}' for k, v in sorted(s['phases_hit'].items()))}",
        f"- memories lost: **{s['memories_lost']}**",
        f"- resumes completed: **{s['resumes_completed']} / {s['resumes_needed']}** needed "
        f"(the others were already complete when killed)",
        f"- resumed memories answering like the uninterrupted one: "
        f"{s['answers_equal_to_uninterrupted']} / {len(report['trials'])}; largest adapter "
        f"difference {s['max_adapter_abs_diff']:.2e}",
        f"- temp files or staging directories left after resuming: {s['leftovers_after_resume']}",
        "",
        "| # | signal | target | phase hit (last marker) | state after kill | temp files | resume | from step | answers equal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in report["trials"]:
        resume = "-" if not t["resume_needed"] else f"exit {t['resume_exit_code']}"
        lines.append(
            f"| {t['trial']} | {t['signal']} | {t['target']} | {t['phase_hit']} "
            f"(`{t['last_marker']}`) | {t['state_after_kill']} | {t['temp_files_after_kill']} | "
            f"{resume} | {t['resumed_from_step'] if t['resumed_from_step'] is not None else '-'} | "
            f"{'yes' if t['answers_equal'] else 'NO'} |"
        )
    for t in s["signal_trials"]:
        lines.append("")
        lines.append(
            f"{t['signal']} during training: exit {t['exit_code']}, `{t['message']}`; checkpoint "
            f"at step {t['checkpoint_step']} after {t['train_steps_done']} steps, resumed from "
            f"step {t['resumed_from_step']}."
        )
    lines += _overwrite_markdown(report)
    return "\n".join(lines) + "\n"
