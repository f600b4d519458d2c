"""The LIFT training loop, readable top to bottom.

Stages run in order (stage 1: segments, stage 2: segments ∪ QA ∪ retention samples). Within an
epoch, batches are built deterministically from ``(seed, stage, epoch)``, so a resumed run replays
exactly the batches an uninterrupted run would have seen. Only adapter weights train; the base
model stays frozen. A checkpoint (adapter + optimizer + position) is one safetensors file written
atomically, at every epoch end and every ``checkpoint_every_steps`` steps.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file

from lift_memory.adapters import Adapter
from lift_memory.atomic import atomic_save_safetensors
from lift_memory.batches import collate, length_groups, make_batches
from lift_memory.config import LiftConfig
from lift_memory.distillation import distillation_kl, teacher_tensors
from lift_memory.distributed import DataParallel
from lift_memory.extractable import LearningTarget, learned_samples
from lift_memory.frozen_prefix import FrozenPrefixCache
from lift_memory.loss import causal_lm_loss, hidden_states, labelled_logits, logits_at
from lift_memory.models import LoadedModel
from lift_memory.null_space import NullSpaceProjection
from lift_memory.optimizer import adapter_optimizer, set_learning_rate
from lift_memory.precision import adapted_sums_in_float32, uses_bf16
from lift_memory.prompts import IGNORE_INDEX, TrainingSample
from lift_memory.retention_teacher import TeacherStates
from lift_memory.shared_prefix import (
    MIN_SHARED_PREFIX,
    Replay,
    shared_prefix_length,
    shared_prefix_loss,
)

CHECKPOINT_FILE = "checkpoint.safetensors"


@dataclass(frozen=True)
class Stage:
    """Samples trained for ``epochs`` epochs; with a ``target``, the epochs are a maximum: after
    each epoch the facts already extractable rest and the stage ends once enough are."""

    name: str
    samples: list[TrainingSample]
    epochs: int
    target: LearningTarget | None = None
    # the first ``plain`` samples are the corpus as plain text; with ``plain_epochs`` they are
    # trained in the stage's first that many epochs only (LiftConfig.plain_text_epochs)
    plain: int = 0
    plain_epochs: int | None = None

    def resting_plain(self, epoch: int) -> range:
        """The plain-text samples that rest in ``epoch`` (0-based)."""
        if self.plain_epochs is None or epoch < self.plain_epochs:
            return range(0)
        return range(self.plain)


@dataclass(frozen=True)
class TrainProgress:
    """What a progress bar needs, reported after every optimizer step."""

    stage: str
    epoch: int
    epochs: int
    step: int
    total_steps: int
    loss: float
    tokens_per_s: float
    elapsed_s: float
    eta_s: float
    facts_learned: int | None = None  # stages with a learning target, as of the last epoch
    facts_total: int | None = None


@dataclass(frozen=True)
class LearningPoint:
    """One point of the learning curve: the facts extractable after an epoch of a stage with a
    learning target, and what training had cost by then (the training tokens, and the seconds
    with the extractability probes included): recall against cost, epoch by epoch."""

    stage: str
    epoch: int
    facts_learned: int
    facts_total: int
    tokens: int
    seconds: float
    # of this epoch's seconds, those its extractability probe took (0.0: not recorded)
    probe_seconds: float = 0.0


@dataclass
class TrainResult:
    steps: int = 0
    tokens: int = 0
    seconds: float = 0.0
    final_loss: float = float("nan")
    stage_losses: dict[str, float] = field(default_factory=dict)
    resumed_from_step: int = 0
    facts_learned: int | None = None
    facts_total: int | None = None
    epochs_run: dict[str, int] = field(default_factory=dict)
    learning_curve: list[LearningPoint] = field(default_factory=list)
    # why each stage with a learning target ended: "target" (its share of facts learned),
    # "plateau" (learn_patience) or "epochs" (its maximum)
    stopped_by: dict[str, str] = field(default_factory=dict)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


ProgressCallback = Callable[[TrainProgress], None]


def plan_batches(stages: list[Stage], config: LiftConfig) -> list[list[list[list[TrainingSample]]]]:
    """Batches per stage per epoch, fixed by the seed."""
    return [
        [
            make_batches(
                stage.samples,
                config.max_batch_tokens,
                seed=hash((config.seed, stage_index, epoch)) & 0xFFFFFFFF,
            )
            for epoch in range(stage.epochs)
        ]
        for stage_index, stage in enumerate(stages)
    ]


def _learning_rate(step: int, total: int, config: LiftConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak over ``lr_decay_share`` of the
    ``total`` planned steps, then the floor."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    # at 1.0 this is ``total`` whenever a step gets past the warm-up
    decay_steps = max(config.warmup_steps + 1, round(total * config.lr_decay_share))
    progress = (step - config.warmup_steps) / max(1, decay_steps - config.warmup_steps)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


class LiftTrainer:
    """Trains an attached adapter on a list of stages, with checkpoints and resume."""

    def __init__(
        self,
        loaded: LoadedModel,
        adapter: Adapter,
        config: LiftConfig,
        checkpoint_dir: Path | None = None,
        on_progress: ProgressCallback | None = None,
        parallel: DataParallel | None = None,
        projection: NullSpaceProjection | None = None,
    ) -> None:
        self.loaded = loaded
        # applied after every optimizer step: the update stays out of generic inputs' directions
        self.projection = projection
        self.parallel = parallel  # set under `accelerate launch`: data-parallel steps
        self.adapter = adapter
        self.config = config
        self.checkpoint_dir = checkpoint_dir
        self.on_progress = on_progress
        self.optimizer = adapter_optimizer(adapter, config)
        # in the optimizer's order: checkpoints store its moments by this index
        self.parameters = [p for group in self.optimizer.param_groups for p in group["params"]]
        for parameter in self.parameters:
            parameter.requires_grad_(True)
        self.stop_requested = False  # set from a signal handler to stop at the next step
        self.frozen_cache: FrozenPrefixCache | None = None
        self.teacher_states = TeacherStates()  # KL retention's teacher (retention_teacher.py)
        self.restored_totals: tuple[int, float] = (0, 0.0)  # tokens, seconds of a checkpoint
        # What each learning-target measurement decided, by "stage:epoch" (the samples resting
        # in that epoch) and "stop:stage" (the epoch count the stage ended at). Checkpointed, so
        # a resumed run rebuilds exactly the batches the interrupted one trained on.
        # Also "facts:stage:epoch": [k, n] and "cost:stage:epoch": [tokens, seconds] by then.
        self.learning_log: dict[str, list[int] | list[float] | int | float] = {}
        self.bf16 = self._trains_in_bf16()  # config.precision on this device, resolved once

    def plan(self, stages: list[Stage]) -> list[list[list[list[TrainingSample]]]]:
        return plan_batches(stages, self.config)

    def train(self, stages: list[Stage], resume: bool = False) -> TrainResult:
        """Train ``stages`` in order (from the checkpoint with ``resume``)."""
        # in bf16 the adapted layers sum in float32 (precision.py); the hooks stay on for the
        # whole training, not per step, and change nothing on the float32 forwards between
        widened = adapted_sums_in_float32(self.loaded.model) if self.bf16 else None
        with widened or contextlib.nullcontext():
            return self._train(stages, resume)

    def _train(self, stages: list[Stage], resume: bool) -> TrainResult:
        torch.manual_seed(self.config.seed)
        plan = self.plan(stages)
        total_steps = sum(len(epoch) for stage in plan for epoch in stage)
        result = TrainResult()
        done = self._load_checkpoint() if resume else 0
        result.resumed_from_step = done
        # a resumed run reports the whole training (tokens, seconds), not only its own share
        restored_tokens, restored_seconds = self.restored_totals if done else (0, 0.0)
        result.tokens = restored_tokens
        model = self.loaded.model
        pad_id = self.loaded.tokenizer.pad_token_id or 0
        device = self.loaded.device
        self.frozen_cache = self._frozen_cache(stages)
        if self.projection is not None:  # the initial A too: B A stays in the allowed subspace
            self.projection.apply()
        step = 0
        started = time.perf_counter()

        def elapsed_s() -> float:
            return time.perf_counter() - started

        facts: tuple[int, int] | None = None
        for stage_index, stage in enumerate(stages):
            for epoch, batches in enumerate(plan[stage_index]):
                stop_at = self.learning_log.get(f"stop:{stage_index}")
                if isinstance(stop_at, int) and epoch >= stop_at:
                    break
                learned = self.learning_log.get(f"{stage_index}:{epoch}")
                # facts already learned rest, and the plain text after its epochs: the others
                # get this epoch
                resting_set = {*(learned or []), *stage.resting_plain(epoch)}
                # the questions of facts that stayed pending train again (pending_repeats)
                repeated = self.learning_log.get(f"repeat:{stage_index}:{epoch}") or []
                if resting_set or repeated:
                    batches = make_batches(
                        [x for i, x in enumerate(stage.samples) if i not in resting_set]
                        + [stage.samples[int(i)] for i in repeated] * self.config.pending_repeats,
                        self.config.max_batch_tokens,
                        seed=hash((self.config.seed, stage_index, epoch)) & 0xFFFFFFFF,
                    )
                epoch_loss, epoch_tokens = 0.0, 0
                for batch in batches:
                    step += 1
                    if step <= done:  # replayed by the checkpoint
                        continue
                    if self.stop_requested:
                        self.save_checkpoint(
                            step - 1, result.tokens, restored_seconds + elapsed_s()
                        )
                        raise KeyboardInterrupt("training stopped; checkpoint saved")
                    set_learning_rate(
                        self.optimizer, _learning_rate(step - 1, total_steps, self.config)
                    )
                    # with several processes, each runs its share of the global batch
                    local, active = self.parallel.shard(batch) if self.parallel else (batch, True)
                    model.train()
                    # samples of similar length run together, their gradients accumulated into
                    # this one step: the same update for less padding (batches.length_groups)
                    loss = torch.zeros((), device=device)
                    units = max(1, sum(self._loss_units(batch[0].kind, x) for x in local))
                    tokens = 0
                    for part in self._parts(local):
                        inputs = collate(part, pad_id, device)
                        with (
                            self._skip_frozen_layers(part, inputs, pad_id) as replay,
                            self._autocast(),
                        ):
                            part_loss = self.batch_loss(batch[0].kind, inputs, part, replay)
                        share = sum(self._loss_units(batch[0].kind, x) for x in part) / units
                        (part_loss * share).backward()
                        loss = loss + part_loss.detach() * share
                        tokens += int(inputs["attention_mask"].sum())
                    if self.parallel:  # the global batch's gradients, mean loss and tokens
                        loss, tokens = self.parallel.sync_step(
                            self.parameters,
                            loss,
                            inputs,
                            per_position=batch[0].kind == "retention"
                            and self.config.retention_loss != "ce",
                            active=active,
                        )
                    torch.nn.utils.clip_grad_norm_(self.parameters, self.config.max_grad_norm)
                    self.optimizer.step()
                    self.optimizer.zero_grad(set_to_none=True)
                    if self.projection is not None:
                        self.projection.apply()
                    result.tokens += tokens
                    epoch_loss += loss.item() * tokens
                    epoch_tokens += tokens
                    result.final_loss = loss.item()
                    elapsed = time.perf_counter() - started
                    steps_run = step - done
                    if self.on_progress:
                        self.on_progress(
                            TrainProgress(
                                stage=stage.name,
                                epoch=epoch + 1,
                                epochs=stage.epochs,
                                step=step,
                                total_steps=total_steps,
                                loss=result.final_loss,
                                tokens_per_s=(result.tokens - restored_tokens) / elapsed
                                if elapsed
                                else 0.0,
                                elapsed_s=elapsed,
                                eta_s=elapsed / steps_run * (total_steps - step),
                                facts_learned=facts[0] if facts else None,
                                facts_total=facts[1] if facts else None,
                            )
                        )
                    if step % self.config.checkpoint_every_steps == 0:
                        self.save_checkpoint(step, result.tokens, restored_seconds + elapsed_s())
                result.epochs_run[stage.name] = epoch + 1
                if stage.target is not None and stage.target.probes:
                    measured = self.learning_log.get(f"facts:{stage_index}:{epoch + 1}")
                    if measured is None:  # not yet decided (a resumed run replays the log)
                        measured = self._measure(stage_index, stage, epoch)
                    facts = (measured[0], measured[1])
                    result.facts_learned, result.facts_total = facts
                    cost = self.learning_log.setdefault(
                        f"cost:{stage_index}:{epoch + 1}",
                        [result.tokens, restored_seconds + elapsed_s()],
                    )
                    assert isinstance(cost, list)
                    probe_s = self.learning_log.get(f"probe_s:{stage_index}:{epoch + 1}", 0.0)
                    assert isinstance(probe_s, (int, float))
                    result.learning_curve.append(
                        LearningPoint(
                            stage.name,
                            epoch + 1,
                            *facts,
                            int(cost[0]),
                            float(cost[1]),
                            float(probe_s),
                        )
                    )
                if epoch_tokens:
                    result.stage_losses[stage.name] = epoch_loss / epoch_tokens
                    self.save_checkpoint(step, result.tokens, restored_seconds + elapsed_s())
            if stage.target is not None and stage.target.probes and facts is not None:
                result.stopped_by[stage.name] = self._stop_reason(stage_index, stage, facts)
        model.eval()
        result.steps = step
        result.seconds = restored_seconds + elapsed_s()
        return result

    def _measure(self, stage_index: int, stage: Stage, epoch: int) -> list[int]:
        """After an epoch: which facts are extractable now; they rest in the next epoch, and
        the stage ends when ``target_share`` of them are, or on a plateau (docs/lift.md §6)."""
        target = stage.target
        assert target is not None
        started = time.perf_counter()

        def probe(facts: set[str] | None = None) -> set[int]:
            with self._autocast():
                return learned_samples(
                    self.loaded,
                    stage.samples,
                    target,
                    frozen_cache=self.frozen_cache,
                    facts=facts,
                    # a pending fact's passing questions matter only where they rest alone
                    every_question=self.config.rest_extractable_phrasings,
                )

        # between full probes (reprobe_learned_every) the learned facts keep resting unprobed
        # and only the pending ones are measured (docs/lift.md §6)
        resting_before = self.learning_log.get(f"{stage_index}:{epoch}")
        partial = bool(resting_before) and (epoch + 1) % self.config.reprobe_learned_every != 0
        # the facts that rested whole (every probe resting), not a pending fact's passing
        # phrasings (rest_extractable_phrasings)
        kept = target.learned_facts(set(resting_before or [])) if partial else set()
        learned = probe(target.facts - kept if partial else None)
        facts = kept | target.learned_facts(learned)
        if partial and len(facts) >= target.target_share * len(target.facts):
            # the stage would end on facts not measured since: it ends on a full probe
            learned |= probe(kept)
            facts = target.learned_facts(learned)
        resting = {i for i, fact in target.members.items() if fact in facts}
        if self.config.rest_extractable_phrasings:
            # a pending fact's passing phrasings rest one epoch: its probe measures them again
            resting |= learned
        self.learning_log[f"{stage_index}:{epoch + 1}"] = sorted(resting)
        if self.config.pending_repeats:
            self._log_repeats(stage_index, target, facts, resting, epoch)
        self.learning_log[f"probe_s:{stage_index}:{epoch + 1}"] = time.perf_counter() - started
        counts = [len(facts), len(target.facts)]
        self.learning_log[f"facts:{stage_index}:{epoch + 1}"] = counts
        history = [
            self.learning_log[f"facts:{stage_index}:{e}"][0]  # type: ignore[index]
            for e in range(1, epoch + 2)
            if f"facts:{stage_index}:{e}" in self.learning_log
        ]
        if len(facts) >= target.target_share * len(target.facts) or target.plateaued(history):
            self.learning_log[f"stop:{stage_index}"] = epoch + 1
        return counts

    def _log_repeats(
        self,
        stage_index: int,
        target: LearningTarget,
        learned: set[str],
        resting: set[int],
        epoch: int,
    ) -> None:
        """Which samples the next epoch repeats: every not-resting question of a fact that has
        failed the last ``pending_repeat_after`` probes in a row (docs/lift.md §6). Kept in the
        learning log, so a resumed run trains the same epochs."""
        pending = target.facts - learned
        self.learning_log[f"pending:{stage_index}:{epoch + 1}"] = sorted(
            i for i, fact in target.probes.items() if fact in pending
        )
        for back in range(1, self.config.pending_repeat_after):
            earlier = self.learning_log.get(f"pending:{stage_index}:{epoch + 1 - back}")
            if not isinstance(earlier, list):  # fewer probes than the streak asks for yet
                pending = set()
                break
            pending &= {target.probes[int(i)] for i in earlier}
        self.learning_log[f"repeat:{stage_index}:{epoch + 1}"] = sorted(
            i for i, fact in target.members.items() if fact in pending and i not in resting
        )

    def _stop_reason(self, stage_index: int, stage: Stage, facts: tuple[int, int]) -> str:
        """Why the stage ended, from what the learning log decided and its last count."""
        assert stage.target is not None
        if f"stop:{stage_index}" not in self.learning_log:
            return "epochs"
        return "target" if facts[0] >= stage.target.target_share * facts[1] else "plateau"

    def _autocast(self) -> contextlib.AbstractContextManager[None]:
        """The arithmetic of training's forward passes and probes (not of the callbacks, which
        may answer with a memory): the launcher's mixed precision where it asked for bf16, else
        ``config.precision`` (lift_memory/precision.py)."""
        if self.parallel is not None and self.parallel.mixed_precision == "bf16":
            return self.parallel.autocast()
        if self.bf16:
            return torch.autocast(self.loaded.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _trains_in_bf16(self) -> bool:
        """Whether ``config.precision`` trains in bf16 here (the launcher's mixed precision is
        its own: ``DataParallel.autocast``)."""
        if self.parallel is not None and self.parallel.mixed_precision == "bf16":
            return False
        return uses_bf16(self.config.precision, self.loaded.device, self.adapter.kind)

    def _parts(self, samples: list[TrainingSample]) -> list[list[TrainingSample]]:
        """The groups one step runs: by length, unless a loss is not a mean over positions
        (self-distillation's KL averages over taught rows; the gate penalty over the padded
        batch) or processes share the step."""
        if (
            self.parallel
            or self.config.self_distillation > 0
            or self.config.retention_gate_penalty > 0
            or len(samples) < 2
        ):
            return [samples]
        return length_groups(samples)

    def _loss_units(self, kind: str, sample: TrainingSample) -> int:
        """What a batch's loss averages over, for this sample: its positions for KL retention
        (every position is matched), else its labelled next-token targets."""
        if kind == "retention" and self.config.retention_loss != "ce":
            return len(sample.input_ids)
        return sum(label != IGNORE_INDEX for label in sample.labels[1:])

    def _frozen_cache(self, stages: list[Stage]) -> FrozenPrefixCache | None:
        """A cache of the frozen lower layers' output, when the adapter leaves any frozen."""
        first = self.adapter.first_adapted_layer()
        if first == 0:
            return None
        samples = [sample for stage in stages for sample in stage.samples]
        needed = FrozenPrefixCache.bytes_needed(self.loaded.model, samples)
        if needed > self.config.frozen_cache_max_bytes:
            return None
        return FrozenPrefixCache(self.loaded.model, first)

    def _skip_frozen_layers(self, batch: list[TrainingSample], inputs: dict, pad_id: int):
        """Replay the cached lower layers for this batch (filling the cache on first sight)."""
        if self.frozen_cache is None:
            return contextlib.nullcontext()
        model = self.loaded.model
        was_training = model.training
        model.eval()  # the cached states must be what inference computes
        self.frozen_cache.fill([batch], pad_id, self.loaded.device)
        model.train(was_training)
        return self.frozen_cache.replaying(batch, inputs["input_ids"].shape[1])

    def batch_loss(
        self,
        kind: str,
        inputs: dict,
        samples: list[TrainingSample] | None = None,
        replay: Replay | None = None,
    ) -> torch.Tensor:
        """Cross-entropy on the labelled tokens; for retention batches, distillation instead.

        A cross-entropy batch whose samples open alike (every chat sample's header) computes that
        opening once for the whole batch (``shared_prefix.py``: the same loss and gradients).

        Retention batches match the base model's full next-token distribution at every position
        (KL to the same model with the memory switched off), which constrains far more than the
        greedy answer tokens alone, plus an optional penalty on the gate's opening. QA samples
        with an open-book teacher add ``self_distillation`` x the KL to it (docs/lift.md §7).
        """
        model = self.loaded.model
        teachers = (
            teacher_tensors(samples, inputs["input_ids"].device)
            if samples and self.config.self_distillation > 0
            else None
        )
        if teachers is not None:
            logits, targets = labelled_logits(model, **inputs)
            loss = torch.nn.functional.cross_entropy(logits, targets)
            loss = loss + self.config.self_distillation * distillation_kl(logits, *teachers)
        elif kind != "retention" or self.config.retention_loss == "ce":
            # the gate penalty reads the gates of the last forward: one over the whole batch
            penalised = kind == "retention" and self.config.retention_gate_penalty > 0
            prefix = shared_prefix_length(samples) if samples and not penalised else 0
            if prefix >= MIN_SHARED_PREFIX:
                loss = shared_prefix_loss(model, **inputs, prefix=prefix, replay=replay)
            else:
                loss = causal_lm_loss(model, **inputs)
        else:
            mask = inputs["attention_mask"].bool()
            with self.adapter.disabled():  # the base model, its states kept after first sight
                teacher_logp = self.teacher_states.log_probs(model, samples, inputs)
            student = hidden_states(model, inputs["input_ids"], inputs["attention_mask"])
            # the output head on the attended positions only, not the padding
            student_logp = torch.log_softmax(logits_at(model, student[mask]), dim=-1)
            loss = torch.nn.functional.kl_div(
                student_logp, teacher_logp, log_target=True, reduction="batchmean"
            )
        if kind == "retention":
            loss = loss * self.config.retention_weight
            penalty = (
                self.adapter.gate_penalty() if self.config.retention_gate_penalty > 0 else None
            )
            if penalty is not None:
                loss = loss + self.config.retention_gate_penalty * penalty
        # a LoRA's relevance gate learns to open on the corpus and shut on retention samples
        relevance = self.adapter.relevance_loss(kind != "retention", inputs["labels"])
        if relevance is not None:
            loss = loss + self.config.lora.relevance_gate_weight * relevance
        return loss

    # --- checkpoints: adapter weights, AdamW moments and the step, in one atomic file
    def save_checkpoint(self, step: int, tokens: int = 0, seconds: float = 0.0) -> None:
        """Adapter, optimizer moments, the step, the learning log, and the tokens and seconds
        trained so far (a resumed run reports the whole training)."""
        if self.checkpoint_dir is None or (self.parallel and not self.parallel.is_main):
            return  # the main process writes; the others hold the same state
        tensors = {f"adapter.{k}": v for k, v in self.adapter.tensors().items()}
        state = self.optimizer.state_dict()
        for index, moments in state["state"].items():
            for key, value in moments.items():
                tensors[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().reshape(-1)
        meta = {
            "step": str(step),
            "config": json.dumps(self.config.model_dump(mode="json")),
            "learning_log": json.dumps(self.learning_log),
            "tokens": str(tokens),
            "seconds": repr(seconds),
        }
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        atomic_save_safetensors(self.checkpoint_dir / CHECKPOINT_FILE, tensors, meta)

    def _load_checkpoint(self) -> int:
        if self.checkpoint_dir is None or not (self.checkpoint_dir / CHECKPOINT_FILE).exists():
            return 0
        from safetensors import safe_open

        path = self.checkpoint_dir / CHECKPOINT_FILE
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
            step = int(metadata["step"])
            self.learning_log = json.loads(metadata.get("learning_log", "{}"))
            # checkpoints written before 2026-12-03 did not record them
            self.restored_totals = (
                int(metadata.get("tokens", "0")),
                float(metadata.get("seconds", "0")),
            )
        tensors = load_file(str(path))
        adapter_state = {
            k[len("adapter.") :]: v for k, v in tensors.items() if k.startswith("adapter.")
        }
        current = self.adapter.tensors()
        with torch.no_grad():
            for key, value in current.items():
                value.copy_(adapter_state[key])
        state = self.optimizer.state_dict()
        for index, parameter in enumerate(self.parameters):
            moments = {}
            for key in ("step", "exp_avg", "exp_avg_sq"):
                saved = tensors.get(f"optim.{index}.{key}")
                if saved is not None:
                    moments[key] = saved.reshape(()) if key == "step" else saved.view_as(parameter)
            if moments:
                state["state"][index] = moments
        self.optimizer.load_state_dict(state)
        return step
