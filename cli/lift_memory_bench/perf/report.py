"""perf.md: the ratios and the raw figures behind them, as one Markdown table."""

from __future__ import annotations


def perf_markdown(report: dict) -> str:
    """The ratios and the raw figures behind them, as a Markdown table."""
    lift, lora, ratios = report["lift"], report["lora"], report["ratios"]
    latency, icl = report["memory_latency"], report["icl_latency"]
    rows = [
        (
            "LIFT ingest / plain LoRA loop, tokens/s",
            f"{ratios['lift_over_lora_tokens_per_s']:.2f}×",
            f"{lift['tokens_per_s']:.0f} vs {lora['tokens_per_s']:.0f} tok/s, {lift['train_steps']} steps each",
        ),
        (
            "LIFT training FLOP/s / matmul FLOP/s",
            f"{ratios['lift_flops_fraction_of_matmul']:.1%}",
            f"{lift['flops_per_s'] / 1e9:.1f} vs {report['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s",
        ),
        (
            "ask p50, large / small corpus",
            f"{ratios['ask_p50_large_over_small']:.2f}",
            f"{latency['large']['p50_s'] * 1000:.0f} ms ({latency['large']['corpus_tokens']:.0f} tok) vs "
            f"{latency['small']['p50_s'] * 1000:.0f} ms ({latency['small']['corpus_tokens']:.0f} tok), "
            f"n={latency['small']['n']} each over {latency['rounds']} alternating rounds",
        ),
    ]
    for tokens, figures in icl.items():
        rows.append(
            (
                f"full-context ICL {tokens} tok / memory mode, p50",
                f"{ratios[f'icl_{tokens}_over_memory_p50']:.1f}×",
                f"{figures['p50_s'] * 1000:.0f} ms vs {latency['small']['p50_s'] * 1000:.0f} ms",
            )
        )
    rows += [
        (
            "adapter / base model bytes",
            f"{ratios['adapter_over_base_bytes']:.1%}",
            f"{lift['adapter_bytes']:,} B vs {report['base_model_bytes']:,} B",
        ),
        (
            "peak RSS during ingest",
            f"{lift['peak_rss_bytes'] / 2**20:.0f} MiB",
            "whole process, model included",
        ),
    ]
    lines = ["| measure | ratio | figures |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    model = report["profile"]["model"]
    return f"Model: {model}, {report['threads']} threads.\n\n" + "\n".join(lines) + "\n"
