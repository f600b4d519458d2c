"""Generation of many prompts at once, in left-padded batches.

What the base model writes for every memory (its retention answers, its own passages and user
turns: ``base_writing.py``) is hundreds of short generations; one prompt at a time they cost a
cold ingest minutes. A left-padded batch gives the same greedy text (the attention mask hides
the padding; the 64 retention answers of SmolLM2 were identical word for word at batch sizes 16
and 64, docs/benchmarks.md, twenty-seventh session) at a fraction of the time.
"""

from __future__ import annotations

import torch

from lift_memory.models import LoadedModel
from lift_memory.prompts import prompt_ids

__all__ = ["end_of_turn_ids", "generate_batch", "greedy_replies", "pad_id"]


def end_of_turn_ids(loaded: LoadedModel) -> list[int]:
    """The tokens that end a turn: the tokenizer's end of sequence, ``<|im_end|>`` where the
    vocabulary has it, and every end token of the model's generation config (one prompt at a
    time, ``generate`` stops at those; Gemma lists its ``<end_of_turn>`` there)."""
    tokenizer = loaded.tokenizer
    ids = {tokenizer.eos_token_id}
    configured = getattr(getattr(loaded.model, "generation_config", None), "eos_token_id", None)
    ids.update(configured if isinstance(configured, list | tuple) else [configured])
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return sorted(i for i in ids if i is not None)


def pad_id(loaded: LoadedModel) -> int:
    """The padding token (the end of sequence where the tokenizer has none)."""
    tokenizer = loaded.tokenizer
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return int(pad or 0)


@torch.no_grad()
def generate_batch(
    loaded: LoadedModel,
    prompts: list[list[int]],
    max_new_tokens: int,
    *,
    temperature: float = 0.0,
    top_p: float = 1.0,
) -> list[tuple[list[int], bool]]:
    """Each prompt's continuation (up to the end of turn) and whether the turn ended, from one
    left-padded batch. Greedy unless ``temperature`` > 0 (then sampled with ``top_p``)."""
    pad = pad_id(loaded)
    ends = end_of_turn_ids(loaded)
    width = max(len(p) for p in prompts)
    input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=loaded.device)
    mask = torch.tensor(
        [[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=loaded.device
    )
    sample = temperature > 0
    sampling = {"temperature": temperature, "top_p": top_p} if sample else {}
    loaded.model.eval()
    output = loaded.model.generate(
        input_ids=input_ids,
        attention_mask=mask,
        max_new_tokens=max_new_tokens,
        do_sample=sample,
        eos_token_id=ends,
        pad_token_id=pad,
        **sampling,
    )
    results = []
    for row in output[:, width:].tolist():
        cut = next((i for i, token in enumerate(row) if token in ends), None)
        results.append((row if cut is None else row[:cut], cut is not None))
    return results


def greedy_replies(
    loaded: LoadedModel, questions: list[str], *, max_new_tokens: int, batch_size: int = 16
) -> list[str]:
    """The model's greedy replies to one-turn chats (as ``answer.generate_answer`` gives them one
    at a time), generated in left-padded batches."""
    replies: list[str] = []
    for start in range(0, len(questions), batch_size):
        prompts = [prompt_ids(loaded.tokenizer, q) for q in questions[start : start + batch_size]]
        for ids, _ended in generate_batch(loaded, prompts, max_new_tokens):
            replies.append(loaded.tokenizer.decode(ids, skip_special_tokens=True).strip())
    return replies
