"""QA pairs written by the loaded causal LM itself (docs/design.md §1.3: the model generator).

Small models produce mostly unusable output; that is fine, because ``parse_qa_output`` keeps
only pairs with verbatim evidence and ``TopUpQAGenerator`` fills the rest from cloze questions.
"""

from __future__ import annotations

from typing import Any

from lift_memory.qa.base import QAPair
from lift_memory.qa.chunking import collect_over_chunks
from lift_memory.qa.parsing import parse_qa_output


def build_block_prompt(chunk: str, count: int) -> str:
    """Ask for "Q:/A:/E:" blocks: easier for a small model than well-formed JSON."""
    return (
        f"Read the text and write {count} questions about it.\n"
        "For each question give a short answer and copy the sentence from the text that "
        "contains the answer. Use exactly this format:\n"
        "Q: <question>\nA: <short answer>\nE: <sentence copied from the text>\n\n"
        f"Text:\n{chunk}"
    )


class ModelQAGenerator:
    """Greedy generation with a transformers causal LM and its chat template."""

    name = "model"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        max_new_tokens: int = 200,
        chunk_chars: int = 1200,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.chunk_chars = chunk_chars

    def _complete(self, prompt: str) -> str:
        """The model's reply to ``prompt`` as one user turn (new tokens only, specials dropped)."""
        import torch  # deferred: importing lift_memory.qa should not pull in torch

        messages = [{"role": "user", "content": prompt}]
        inputs = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        device = getattr(self.model, "device", None)
        if device is not None and hasattr(inputs, "to"):
            inputs = inputs.to(device)
        pad_id = self.tokenizer.pad_token_id
        if pad_id is None:
            pad_id = self.tokenizer.eos_token_id
        # Dropout would make "greedy" output random if the model is in training mode.
        was_training = bool(getattr(self.model, "training", False))
        self.model.eval()
        try:
            with torch.no_grad():
                output = self.model.generate(
                    **inputs,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    pad_token_id=pad_id,
                )
        finally:
            if was_training:
                self.model.train()
        prompt_length = inputs["input_ids"].shape[1]
        return self.tokenizer.decode(output[0, prompt_length:], skip_special_tokens=True)

    def _ask(self, chunk: str, count: int) -> list[QAPair]:
        return parse_qa_output(self._complete(build_block_prompt(chunk, count)), chunk, self.name)

    def generate(self, text: str, n: int) -> list[QAPair]:
        """Up to ``n`` verified pairs, one generation per ~``chunk_chars`` chunk of the text."""
        return collect_over_chunks(text, n, self.chunk_chars, self._ask)
