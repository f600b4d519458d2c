"""Model-based scores: multiple-choice log-likelihood and perplexity, with or without a memory.

Each option is scored as the assistant's reply to the question, in exactly the prompt format
the method answers in (same context, same adapter state), by its mean token log-probability
(length-normalised, so long names are not penalised). The prompt runs once; every option then
continues from a copy of its key/value cache, so a long context (full-context ICL) costs one
prefill per question, not one per option.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math

import torch

from lift_memory.adapters import Adapter
from lift_memory.models import LoadedModel
from lift_memory.prompts import prompt_ids, question_prompt


def _memory_state(
    adapter: Adapter | None, use_memory: bool
) -> contextlib.AbstractContextManager[None]:
    if adapter is not None and not use_memory:
        return adapter.disabled()
    return contextlib.nullcontext()


def _cache_keyword(model: torch.nn.Module) -> str:
    # transformers 5 renamed past_key_values to cache (the old name warns, then goes away)
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


@torch.no_grad()
def option_logprobs(
    loaded: LoadedModel,
    question: str,
    options: list[str] | tuple[str, ...],
    *,
    context: str | None = None,
    adapter: Adapter | None = None,
    use_memory: bool = True,
) -> list[float]:
    """Mean token log-probability of each option as the reply to ``question``."""
    tokenizer, model = loaded.tokenizer, loaded.model
    model.eval()
    prefix = prompt_ids(tokenizer, question_prompt(question, context))
    keyword = _cache_keyword(model)
    scores: list[float] = []
    with _memory_state(adapter, use_memory):
        out = model(input_ids=torch.tensor([prefix], device=loaded.device), use_cache=True)
        cache = out.past_key_values
        last = out.logits[0, -1].float()
        for option in options:
            ids = tokenizer(option, add_special_tokens=False)["input_ids"]
            if not ids:
                scores.append(-math.inf)
                continue
            logits = [last.unsqueeze(0)]
            if len(ids) > 1:
                rest = model(
                    input_ids=torch.tensor([ids[:-1]], device=loaded.device),
                    use_cache=True,
                    **{keyword: copy.deepcopy(cache)},
                )
                logits.append(rest.logits[0].float())
            logprobs = torch.log_softmax(torch.cat(logits), dim=-1)
            target = torch.tensor(ids, device=logprobs.device)
            scores.append(logprobs.gather(1, target.unsqueeze(1)).mean().item())
    return scores


@torch.no_grad()
def perplexity(
    loaded: LoadedModel,
    text: str,
    *,
    adapter: Adapter | None = None,
    use_memory: bool = True,
) -> float:
    """Perplexity of ``text`` as plain text (no chat template)."""
    ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
    input_ids = torch.tensor([ids], device=loaded.device)
    loaded.model.eval()
    with _memory_state(adapter, use_memory):
        loss = loaded.model(input_ids=input_ids, labels=input_ids).loss
    return float(math.exp(loss.item()))
