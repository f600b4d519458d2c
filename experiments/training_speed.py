"""Where a stage-2 epoch's work goes, and what the exact speed-ups buy (docs/benchmarks.md,
"Session of 2026-12-03 (fifth)").

    python experiments/training_speed.py composition [TEXT]   # tokens, header, padding; no model run
    python experiments/training_speed.py probes [TEXT]        # one epoch's extractability probes
    python experiments/training_speed.py epoch [TEXT]         # one stage-2 epoch, before vs after
    python experiments/training_speed.py kinds [TEXT]         # seconds per token of each kind

TEXT defaults to the demo's sample. "before" switches the shared chat header and the length
groups off (``train.MIN_SHARED_PREFIX``, ``LiftTrainer._parts``); the probes compare a plain
forward with the frozen-layer replay and shared header. Timings alternate the two settings.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from lift_memory import train
from lift_memory.adapters import create_adapter
from lift_memory.batches import collate, make_batches
from lift_memory.config import LiftConfig
from lift_memory.documents import Document
from lift_memory.extractable import reply_min_probabilities
from lift_memory.ingest import (
    default_qa_generator,
    qa_answer_spans,
    requested_qa_count,
    training_stages,
)
from lift_memory.models import LoadedModel, load_model
from lift_memory.retention import record_retention_answers
from lift_memory.shared_prefix import MIN_SHARED_PREFIX, shared_prefix_length
from lift_memory.train import LiftTrainer, Stage

SAMPLE = (
    Path(__file__).resolve().parents[1] / "cli" / "lift_memory_cli" / "samples" / "varnholm.txt"
)


def stage_two(
    loaded: LoadedModel, text: str, config: LiftConfig, retention: list | None = None
) -> tuple[Stage, list]:
    generator = default_qa_generator(loaded, config)
    pairs = generator.generate(text, requested_qa_count(generator, config))
    document = [Document(source="text", text=text)]
    stages = training_stages(loaded, document, pairs, retention or [], config)
    return stages[1], pairs


def kinds(loaded: LoadedModel, stage: Stage, config: LiftConfig, batches: int = 8) -> None:
    """Seconds per training token of each sample kind: forward, backward and AdamW step of
    ``batches`` of the stage's own batches, timed on their second pass (as from the second
    epoch on: the frozen layers replayed, the retention teacher's states kept)."""
    trainer = LiftTrainer(loaded, create_adapter(loaded, config), config)
    trainer.frozen_cache = trainer._frozen_cache([stage])
    pad_id = loaded.tokenizer.pad_token_id or 0
    by_kind: dict[str, list] = collections.defaultdict(list)
    for batch in make_batches(stage.samples, config.max_batch_tokens, seed=0):
        by_kind[batch[0].kind].append(batch)
    loaded.model.train()

    def step(batch: list) -> int:
        inputs = collate(batch, pad_id, loaded.device)
        with trainer._skip_frozen_layers(batch, inputs, pad_id) as replay:
            loss = trainer.batch_loss(batch[0].kind, inputs, batch, replay)
        loss.backward()
        trainer.optimizer.step()
        trainer.optimizer.zero_grad(set_to_none=True)
        return int(inputs["attention_mask"].sum())

    for kind, chosen in sorted(by_kind.items()):
        chosen = chosen[:batches]
        for batch in chosen:  # the first epoch's pass
            step(batch)
        started = time.perf_counter()
        tokens = sum(step(batch) for batch in chosen)
        seconds = time.perf_counter() - started
        print(
            f"{kind:10s} {tokens:6,} tokens in {seconds:6.1f} s: {1000 * seconds / tokens:.2f} ms"
        )


def composition(loaded: LoadedModel, stage: Stage, config: LiftConfig) -> None:
    real, padded, after_header, padded_after = (collections.Counter() for _ in range(4))
    counts = collections.Counter(sample.kind for sample in stage.samples)
    for batch in make_batches(stage.samples, config.max_batch_tokens, seed=1):
        kind, width = batch[0].kind, max(len(s.input_ids) for s in batch)
        prefix = shared_prefix_length(batch)
        prefix = prefix if prefix >= MIN_SHARED_PREFIX else 0
        real[kind] += sum(len(s.input_ids) for s in batch)
        padded[kind] += width * len(batch)
        after_header[kind] += sum(len(s.input_ids) - prefix for s in batch)
        padded_after[kind] += (width - prefix) * len(batch)
    total = sum(real.values())
    print(f"stage-2 tokens per epoch: {total:,}")
    for kind in sorted(real):
        print(
            f"  {kind:10s} {counts[kind]:5d} samples, {real[kind] / total:.0%} of the tokens, "
            f"mean {real[kind] / counts[kind]:.0f}; padding {1 - real[kind] / padded[kind]:.0%} "
            f"({1 - after_header[kind] / padded_after[kind]:.0%} after a shared header)"
        )


def probes(loaded: LoadedModel, stage: Stage, pairs: list, config: LiftConfig) -> None:
    qa = [sample for sample in stage.samples if sample.kind == "qa"]
    spans_by = qa_answer_spans(loaded, pairs, [(s, "", True) for s in qa], config)
    spans = [spans_by.get(i) for i in range(len(qa))]
    adapter = create_adapter(loaded, config)
    cache = LiftTrainer(loaded, adapter, config)._frozen_cache([stage])
    if cache is not None:
        cache.fill([qa], loaded.tokenizer.pad_token_id or 0, loaded.device)  # as epoch 1 does
    found = {}
    for name, frozen in [("plain", None), ("fast", cache)] * 2:
        started = time.perf_counter()
        found[name] = reply_min_probabilities(loaded, qa, 4096, spans, frozen)
        print(f"{name}: {len(qa)} probes in {time.perf_counter() - started:.1f} s", flush=True)
    gap = max(abs(a - b) for a, b in zip(found["plain"], found["fast"], strict=True))
    print(f"largest probability difference: {gap:.2e}")


def epoch(loaded: LoadedModel, stage: Stage, config: LiftConfig) -> None:
    one = Stage(stage.name, stage.samples, 1)
    grouped = LiftTrainer._parts
    for _ in range(2):
        for name in ("before", "after"):
            train.MIN_SHARED_PREFIX = 10**9 if name == "before" else MIN_SHARED_PREFIX
            LiftTrainer._parts = (lambda self, samples: [samples]) if name == "before" else grouped
            adapter = create_adapter(loaded, config)
            started = time.perf_counter()
            result = LiftTrainer(loaded, adapter, config).train([one])
            print(
                f"{name}: {time.perf_counter() - started:.1f} s, {result.steps} steps, "
                f"{result.tokens:,} tokens, final loss {result.final_loss:.5f}",
                flush=True,
            )
            adapter.detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["composition", "probes", "epoch", "kinds"])
    parser.add_argument("text", nargs="?", default=str(SAMPLE))
    args = parser.parse_args()
    config = LiftConfig()
    loaded = load_model("smollm2-135m")
    # the retention kind needs the base model's answers to the bundled prompts (~15 s)
    retention = record_retention_answers(loaded, 64) if args.what == "kinds" else None
    text = Path(args.text).read_text(encoding="utf-8")
    stage, pairs = stage_two(loaded, text, config, retention)
    if args.what == "kinds":
        kinds(loaded, stage, config)
    elif args.what == "composition":
        composition(loaded, stage, config)
    elif args.what == "probes":
        probes(loaded, stage, pairs, config)
    else:
        epoch(loaded, stage, config)


if __name__ == "__main__":
    main()
