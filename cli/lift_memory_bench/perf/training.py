"""Training speed: LIFT ingest with the default recipe against the naive baseline a user would
write (PEFT LoRA on every linear layer, the same batches and steps, the Hugging Face loss), and
the FLOPs LIFT's training really computes."""

from __future__ import annotations

import time

import torch
from peft import LoraConfig, get_peft_model
from torch.utils.flop_counter import FlopCounterMode

from lift_memory.adapters import create_adapter
from lift_memory.batches import collate
from lift_memory.config import LiftConfig
from lift_memory.documents import Document
from lift_memory.ingest import ingest, training_stages
from lift_memory.memory_files import read_retention
from lift_memory.models import LoadedModel
from lift_memory.qa import read_qa_jsonl
from lift_memory.store import MemoryStore
from lift_memory.train import LiftTrainer, plan_batches
from lift_memory_bench.perf.machine import peak_rss_bytes
from lift_memory_bench.perf.profile import PerfProfile


def measure_lift_ingest(
    loaded: LoadedModel, store: MemoryStore, text: str, profile: PerfProfile
) -> dict:
    """Ingest ``text`` with the default recipe; tokens/s of training and counted FLOPs."""
    config = profile.lift_config()
    result = ingest([Document("text", text)], "perf-lift", store=store, model=loaded, config=config)
    stages = _stages_of(loaded, store, "perf-lift", text, config)
    flops = _training_flops(loaded, config, stages)
    return {
        "train_tokens": result.train.tokens,
        "train_steps": result.train.steps,
        "train_s": result.train.seconds,
        "tokens_per_s": result.train.tokens_per_s,
        "flops": flops,
        "flops_per_s": flops / result.train.seconds,
        "adapter_bytes": result.manifest.adapter_bytes,
        "trainable_params": _gated_memory_params(loaded, config),
        "peak_rss_bytes": peak_rss_bytes(),
    }


def _stages_of(loaded: LoadedModel, store: MemoryStore, name: str, text: str, config: LiftConfig):
    """Rebuild exactly the stages an ingest trained on, from what it kept on disk."""
    pairs = read_qa_jsonl(store.qa_path(name))
    retention = read_retention(store.path(name)) or []
    stages = training_stages(loaded, [Document("text", text)], pairs, retention, config)
    return [stage for stage in stages if stage.epochs > 0]


def _gated_memory_params(loaded: LoadedModel, config: LiftConfig) -> int:
    adapter = create_adapter(loaded, config)
    try:
        return sum(p.numel() for p in adapter.parameters())
    finally:
        adapter.detach()


def _training_flops(loaded: LoadedModel, config: LiftConfig, stages: list) -> float:
    """FLOPs of the whole training run: counted per token on a few replayed batches per kind.

    Counting every step under ``FlopCounterMode`` would slow the timed run; FLOPs per token
    depend on the batch kind (segment, QA, retention), so each kind is counted on up to three of
    its batches and scaled by the tokens of that kind in the whole plan.
    """
    adapter = create_adapter(loaded, config)
    trainer = LiftTrainer(loaded, adapter, config)
    trainer.frozen_cache = trainer._frozen_cache(stages)
    pad_id = loaded.tokenizer.pad_token_id or 0
    plan = [batch for stage in trainer.plan(stages) for epoch in stage for batch in epoch]
    tokens_by_kind: dict[str, int] = {}
    for batch in plan:
        kind = batch[0].kind
        tokens_by_kind[kind] = tokens_by_kind.get(kind, 0) + sum(len(s.input_ids) for s in batch)
    total = 0.0
    try:
        for kind, kind_tokens in tokens_by_kind.items():
            sample = [batch for batch in plan if batch[0].kind == kind][:3]
            counted_flops, counted_tokens = 0, 0
            for batch in sample:
                inputs = collate(batch, pad_id, loaded.device)
                if trainer.frozen_cache is not None:
                    trainer.frozen_cache.fill([batch], pad_id, loaded.device)
                with FlopCounterMode(display=False) as counter:
                    with trainer._skip_frozen_layers(batch, inputs, pad_id):
                        loss = trainer.batch_loss(kind, inputs)
                    loss.backward()
                counted_flops += counter.get_total_flops()
                counted_tokens += sum(len(s.input_ids) for s in batch)
            total += counted_flops / counted_tokens * kind_tokens
    finally:
        adapter.detach()
        loaded.model.eval()
    return total


def measure_lora_loop(
    loaded: LoadedModel, store: MemoryStore, text: str, profile: PerfProfile
) -> dict:
    """The plain PEFT LoRA loop over the same batches and number of steps as the LIFT ingest."""
    config = profile.lift_config()
    stages = _stages_of(loaded, store, "perf-lift", text, config)
    plan = [batch for stage in plan_batches(stages, config) for epoch in stage for batch in epoch]
    lora = LoraConfig(
        r=profile.lora_rank, lora_alpha=2 * profile.lora_rank, target_modules="all-linear"
    )
    model = get_peft_model(loaded.model, lora)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=1e-3)
    pad_id = loaded.tokenizer.pad_token_id or 0
    model.train()
    tokens, started = 0, time.perf_counter()
    for batch in plan:
        inputs = collate(batch, pad_id, loaded.device)
        loss = model(**inputs).loss  # transformers' own loss over the full logits
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(inputs["attention_mask"].sum())
    seconds = time.perf_counter() - started
    trainable = sum(p.numel() for p in parameters)
    model.unload()  # the base model without LoRA layers, for the measurements that follow
    loaded.model.eval()
    return {
        "train_tokens": tokens,
        "train_steps": len(plan),
        "train_s": seconds,
        "tokens_per_s": tokens / seconds,
        "trainable_params": trainable,
    }
