"""One face for the three trainable modules: PEFT LoRA (the default), LIFT's Gated Memory, PiSSA.

The trainer, the answerer and the store only see :class:`Adapter`: its trainable parameters, a
flat tensor dict to save, its safetensors metadata, gate statistics, how to scale its effect
(soft relevance routing) and how to take it off.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any, Protocol

import torch
from torch import nn

from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.errors import AdapterMismatch, CorruptMemory
from lift_memory.gated_memory import (
    GatedMemory,
    attach_gated_memory,
    gated_memory_from_tensors,
)
from lift_memory.models import LoadedModel, decoder_layers
from lift_memory.relevance_gate import RelevanceGate

# the relevance gate's tensors beside PEFT's in a saved LoRA (relevance_gate.py)
GATE_PREFIX = "relevance_gate."


class Adapter(Protocol):
    kind: str

    def parameters(self) -> Iterator[nn.Parameter]: ...
    def tensors(self) -> dict[str, torch.Tensor]: ...
    def metadata(self) -> dict[str, str]: ...
    def mean_gate(self) -> float | None: ...
    def gate_penalty(self) -> torch.Tensor | None: ...
    # the relevance gate's loss over the forwards since the last call (LoRA with a gate only)
    def relevance_loss(self, relevant: bool, labels: torch.Tensor) -> torch.Tensor | None: ...
    def reset_gate_stats(self) -> None: ...
    def disabled(self) -> contextlib.AbstractContextManager[None]: ...

    # whether scaled() can fade the adapter out towards the base model (PiSSA cannot)
    scalable: bool

    def scaled(self, factor: float) -> contextlib.AbstractContextManager[None]: ...
    # the scale the update trains at, for a restored memory that answers at another one
    def at_training_scale(self) -> contextlib.AbstractContextManager[None]: ...
    def detach(self) -> None: ...
    def first_adapted_layer(self) -> int: ...


class GatedMemoryAdapter:
    """LIFT's Gated Memory behind the :class:`Adapter` face."""

    kind = "gated_memory"
    scalable = True

    def __init__(self, memory: GatedMemory) -> None:
        self.memory = memory

    def parameters(self) -> Iterator[nn.Parameter]:
        return self.memory.parameters()

    def tensors(self) -> dict[str, torch.Tensor]:
        return {key: value.detach() for key, value in self.memory.state_dict().items()}

    def metadata(self) -> dict[str, str]:
        return {
            "adapter_kind": self.kind,
            "settings": self.memory.settings.model_dump_json(),
            "geometry": json.dumps(self.memory.geometry()),
        }

    def mean_gate(self) -> float | None:
        return self.memory.mean_gate()

    def gate_penalty(self) -> torch.Tensor | None:
        return self.memory.gate_penalty()

    def relevance_loss(self, relevant: bool, labels: torch.Tensor) -> torch.Tensor | None:
        return None

    def reset_gate_stats(self) -> None:
        self.memory.reset_gate_stats()

    def disabled(self) -> contextlib.AbstractContextManager[None]:
        return self.memory.disabled()

    def scaled(self, factor: float) -> contextlib.AbstractContextManager[None]:
        """Every gate multiplied by ``factor`` in [0, 1] while inside."""
        return self.memory.scaled_gate(factor)

    def at_training_scale(self) -> contextlib.AbstractContextManager[None]:
        """The Gated Memory answers as it trains (no answer scale)."""
        return contextlib.nullcontext()

    def detach(self) -> None:
        self.memory.detach()

    def first_adapted_layer(self) -> int:
        """Decoder layers below this one run unchanged: the trainer may cache them."""
        return min(int(index) for index in self.memory.layers)


class PeftAdapter:
    """A PEFT LoRA or PiSSA adapter injected into the base model in place.

    PiSSA rewrites the base weights at initialisation (it moves their principal components into
    the adapter); its SVD is deterministic, so loading re-runs it and then loads the trained
    factors. Detaching a PiSSA adapter cannot give the original weights back: reload the model.
    """

    def __init__(self, loaded: LoadedModel, kind: str, settings: LoraSettings) -> None:
        from peft import LoraConfig, inject_adapter_in_model

        self.kind = kind
        # at factor 0 a LoRA is the base model; PiSSA's residual weights are not
        self.scalable = kind == "lora"
        self.answer_scale = 1.0  # a trained memory's, once restored (set_answer_scale)
        self.settings = settings
        self._model = loaded.model
        self._device = loaded.device
        num_layers = len(decoder_layers(loaded.model))
        self._layers = settings.chosen_layers(num_layers)
        config = LoraConfig(
            r=settings.rank,
            lora_alpha=settings.alpha,
            lora_dropout=settings.dropout,
            target_modules=lora_target_modules(loaded.model, settings.target_modules),
            init_lora_weights="pissa" if kind == "pissa" else True,
            layers_to_transform=None if len(self._layers) == num_layers else self._layers,
        )
        inject_adapter_in_model(config, loaded.model, adapter_name="default")
        for name, parameter in loaded.model.named_parameters():
            parameter.requires_grad_("lora_" in name)
        self.gate: RelevanceGate | None = None
        if settings.relevance_gate:
            if kind != "lora":
                raise ValueError("a relevance gate needs adapter 'lora'")
            self.install_gate(RelevanceGate(loaded.model.config.hidden_size).to(loaded.device))
        # PiSSA moved the principal components out of the base weights: switching the adapter
        # off leaves a damaged model, not the base. Its freshly initialised factors restore the
        # base exactly, so "memory off" swaps them in (retention teachers, base answers).
        self._initial: dict[str, torch.Tensor] | None = None
        if kind == "pissa":
            self._initial = {
                n: p.detach().clone() for n, p in loaded.model.named_parameters() if "lora_" in n
            }

    def install_gate(self, gate: RelevanceGate) -> None:
        """Put ``gate`` in front of every LoRA module (replacing any gate already there)."""
        if self.gate is not None:
            self.gate.detach()
        self.gate = gate
        gate.attach(
            decoder_layers(self._model)[min(self._layers)],
            [layer.lora_A["default"] for layer in self._lora_layers()],
        )

    def parameters(self) -> Iterator[nn.Parameter]:
        yield from (p for n, p in self._model.named_parameters() if "lora_" in n)
        if self.gate is not None and not self.gate.per_question:  # a fitted gate is not trained
            yield from self.gate.parameters()

    def b_factors(self) -> list[nn.Parameter]:
        """The B factor of every LoRA module (the output side of B A), for LoRA+."""
        return [layer.lora_B["default"].weight for layer in self._lora_layers()]

    def tensors(self) -> dict[str, torch.Tensor]:
        from peft import get_peft_model_state_dict

        found = {
            k: v.detach().contiguous() for k, v in get_peft_model_state_dict(self._model).items()
        }
        if self.gate is not None:
            found.update(
                {
                    GATE_PREFIX + k: v.detach().contiguous()
                    for k, v in self.gate.state_dict().items()
                }
            )
        return found

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Load saved factors (and the relevance gate's weights) into this adapter."""
        from peft import set_peft_model_state_dict

        gate = {k[len(GATE_PREFIX) :]: v for k, v in tensors.items() if k.startswith(GATE_PREFIX)}
        set_peft_model_state_dict(
            self._model, {k: v for k, v in tensors.items() if not k.startswith(GATE_PREFIX)}
        )
        if gate and self.gate is None and self.settings.fitted_relevance_gate:
            self.install_gate(
                RelevanceGate(self._model.config.hidden_size, per_question=True).to(self._device)
            )
        if self.gate is not None:
            self.gate.load_state_dict(gate)
            if self.gate.per_question:
                self.gate.requires_grad_(False)

    def metadata(self) -> dict[str, str]:
        return {"adapter_kind": self.kind, "settings": self.settings.model_dump_json()}

    def mean_gate(self) -> float | None:
        return None

    def gate_penalty(self) -> torch.Tensor | None:
        return None

    def relevance_loss(self, relevant: bool, labels: torch.Tensor) -> torch.Tensor | None:
        return None if self.gate is None else self.gate.supervision_loss(relevant, labels)

    def reset_gate_stats(self) -> None:
        if self.gate is not None:  # a new question: a fitted gate decides again
            self.gate.forget()

    @contextlib.contextmanager
    def disabled(self) -> Iterator[None]:
        """The unmodified base model's behaviour while inside (for every adapter kind)."""
        if self._initial is not None:
            yield from self._with_initial_factors()
            return
        from peft.tuners.tuners_utils import BaseTunerLayer

        layers = [m for m in self._model.modules() if isinstance(m, BaseTunerLayer)]
        for layer in layers:
            layer.enable_adapters(False)
        try:
            yield
        finally:
            for layer in layers:
                layer.enable_adapters(True)

    @contextlib.contextmanager
    def scaled(self, factor: float) -> Iterator[None]:
        """The LoRA update ``B A`` multiplied by ``factor`` in [0, 1] while inside (PEFT's
        per-layer ``scaling``, on top of the answer scale): 0 is the base model, 1 the memory
        as it answers. Nested scalings multiply, and each exit restores what it found."""
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"scale factor must be within [0, 1], got {factor}")
        if not self.scalable:
            raise ValueError(f"a {self.kind} adapter cannot be scaled towards the base model")
        layers = self._lora_layers()
        saved = [dict(layer.scaling) for layer in layers]
        for layer in layers:
            layer.scale_layer(factor)
        try:
            yield
        finally:
            for layer, scaling in zip(layers, saved, strict=True):
                layer.scaling.update(scaling)

    def set_answer_scale(self, factor: float) -> None:
        """Answer with the update multiplied by ``factor`` from now on (the restored memory's
        ``LoraSettings.answer_scale``); training runs inside :meth:`at_training_scale`."""
        if factor != 1.0 and not self.scalable:
            raise ValueError(f"a {self.kind} adapter cannot be scaled towards the base model")
        self.answer_scale = factor
        self._set_scale(factor)

    @contextlib.contextmanager
    def at_training_scale(self) -> Iterator[None]:
        """The update at alpha / rank, the scale it trains at, while inside (a restored memory
        trained further: consolidation); the answer scale again after."""
        self._set_scale(1.0)
        try:
            yield
        finally:
            self._set_scale(self.answer_scale)

    def _lora_layers(self) -> list[Any]:
        from peft.tuners.lora import LoraLayer

        return [m for m in self._model.modules() if isinstance(m, LoraLayer)]

    def _set_scale(self, factor: float) -> None:
        """Every layer's scaling at ``factor`` x alpha / rank."""
        for layer in self._lora_layers():
            layer.unscale_layer()  # alpha / rank
            layer.scale_layer(factor)

    def _with_initial_factors(self) -> Iterator[None]:
        assert self._initial is not None
        parameters = {n: p for n, p in self._model.named_parameters() if "lora_" in n}
        trained = {n: p.detach().clone() for n, p in parameters.items()}
        with torch.no_grad():
            for name, parameter in parameters.items():
                parameter.copy_(self._initial[name])
        try:
            yield
        finally:
            with torch.no_grad():
                for name, parameter in parameters.items():
                    parameter.copy_(trained[name])

    def first_adapted_layer(self) -> int:
        return min(self._layers)

    def detach(self) -> None:
        if self.kind == "pissa":
            raise RuntimeError("a PiSSA adapter changed the base weights; reload the model instead")
        from peft.tuners.tuners_utils import BaseTunerLayer

        for name, module in list(self._model.named_modules()):
            if isinstance(module, BaseTunerLayer) and hasattr(module, "get_base_layer"):
                parent_name, _, child = name.rpartition(".")
                parent = self._model.get_submodule(parent_name) if parent_name else self._model
                setattr(parent, child, module.get_base_layer())
        # inject_adapter_in_model left its config on the model: a later injection would warn
        # about "multiple adapters" in a model that no longer carries any
        if "peft_config" in vars(self._model):
            del self._model.peft_config
        if self.gate is not None:
            self.gate.detach()


def lora_target_modules(model: nn.Module, targets: str | list[str]) -> list[str]:
    """The linear-layer names a LoRA with ``targets`` adapts in ``model``.

    Resolves PEFT's "all-linear" ourselves: inject_adapter_in_model does not expand it.
    """
    if targets != "all-linear":
        return list(targets)
    names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and not name.endswith("lm_head")
    }
    return sorted(names)


def create_adapter(loaded: LoadedModel, config: LiftConfig) -> Adapter:
    """Attach a freshly initialised adapter of the kind ``config.adapter`` asks for.

    The initial weights depend on ``config.seed`` only, not on what the global RNG went through
    (which is left as it was).
    """
    devices = [loaded.device] if loaded.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(config.seed)
        if config.adapter == "gated_memory":
            return GatedMemoryAdapter(attach_gated_memory(loaded.model, config.gated_memory))
        return PeftAdapter(loaded, config.adapter, config.lora)


def restore_adapter(
    loaded: LoadedModel, tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> Adapter:
    """Attach an adapter rebuilt from a saved tensor dict and its metadata."""
    kind = metadata.get("adapter_kind")
    if kind == "gated_memory":
        return GatedMemoryAdapter(
            gated_memory_from_tensors(loaded.model, tensors, metadata, loaded.fingerprint)
        )
    if kind in ("lora", "pissa"):
        try:
            raw = json.loads(metadata["settings"])
        except (KeyError, ValueError) as error:
            raise CorruptMemory("adapter metadata has no readable settings") from error
        # adapters saved before `top_layers` existed adapted every layer, those saved before
        # `answer_scale` existed answered at 1.0, and those saved before the fitted relevance
        # gate existed have none, and those saved before its extra shut questions were fitted on
        # the retention prompts alone
        legacy = {
            "top_layers": None,
            "answer_scale": 1.0,
            "fitted_relevance_gate": False,
            "relevance_passage_questions": False,
            "relevance_self_questions": 0,
        }
        try:
            settings = LoraSettings.model_validate({**legacy, **raw})
        except ValueError as error:
            raise CorruptMemory(f"adapter metadata has invalid LoRA settings: {error}") from error
        adapter = PeftAdapter(loaded, kind, settings)
        expected = {k: tuple(v.shape) for k, v in adapter.tensors().items()}
        # fitted after training (unless there was nothing to fit it on): a new adapter has none
        if settings.fitted_relevance_gate and any(k.startswith(GATE_PREFIX) for k in tensors):
            hidden = loaded.model.config.hidden_size
            expected |= {GATE_PREFIX + "read.weight": (1, hidden), GATE_PREFIX + "read.bias": (1,)}
        if expected != {k: tuple(v.shape) for k, v in tensors.items()}:
            raise AdapterMismatch("the saved LoRA/PiSSA adapter does not fit this base model")
        adapter.load_tensors(tensors)
        # PiSSA moved the base weights' principal part into the adapter: it answers in full
        adapter.set_answer_scale(settings.answer_scale if kind == "lora" else 1.0)
        return adapter
    raise CorruptMemory(f"unknown adapter kind {kind!r} in adapter metadata")
