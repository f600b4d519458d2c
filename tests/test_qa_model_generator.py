"""ModelQAGenerator: prompt/parse plumbing with canned output, and a tiny random Llama end to end."""

from __future__ import annotations

import pytest

from lift_memory.qa import ModelQAGenerator, QAGenerator

TEXT = (
    "Edda Mirel keeps the lighthouse on Varnholm. The lighthouse was built in 1847. "
    "The keeper rowed 12 miles to the mainland every week."
)


class _Canned(ModelQAGenerator):
    def __init__(self, reply: str, **kwargs) -> None:
        super().__init__(model=None, tokenizer=None, **kwargs)
        self.reply = reply
        self.prompts: list[str] = []

    def _complete(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.reply


def test_canned_blocks_are_parsed_and_verified():
    reply = (
        "Q: Who keeps the lighthouse?\nA: Edda Mirel\n"
        "E: Edda Mirel keeps the lighthouse on Varnholm.\n\n"
        "Q: When was the lighthouse built?\nA: 1847\nE: The lighthouse was built in 1847.\n\n"
        "Q: What colour is the lighthouse?\nA: Red\nE: The lighthouse is painted red.\n"
    )
    generator = _Canned(reply)
    assert isinstance(generator, QAGenerator) and generator.name == "model"
    pairs = generator.generate(TEXT, 5)
    assert [p.answer for p in pairs] == ["Edda Mirel", "1847"]
    assert all(p.source == "model" and p.evidence in TEXT for p in pairs)
    (prompt,) = generator.prompts
    assert TEXT in prompt and "Q:" in prompt and "A:" in prompt and "E:" in prompt


def test_chunks_share_the_budget():
    text = " ".join(f"Keeper number {i} served for {i + 2} years." for i in range(40))
    generator = _Canned("nothing useful", chunk_chars=300)
    assert generator.generate(text, 4) == []
    assert len(generator.prompts) == 4  # fewer pairs than chunks: evenly spaced chunks only
    assert generator.generate(text, 0) == []


def _tiny_llama():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer_model = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer_model.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]", "<s>", "</s>"])
    corpus = [TEXT, "Q: A: E: Read the text and write questions about it.", "user assistant"]
    tokenizer_model.train_from_iterator(corpus, trainer=trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer_model,
        unk_token="[UNK]",
        pad_token="[PAD]",
        bos_token="<s>",
        eos_token="</s>",
    )
    tokenizer.chat_template = (
        "{% for m in messages %}{{ m['role'] }} {{ m['content'] }} </s> {% endfor %}"
        "{% if add_generation_prompt %}assistant{% endif %}"
    )
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return transformers.LlamaForCausalLM(config), tokenizer


def test_tiny_random_llama_garbage_is_verified_or_dropped():
    model, tokenizer = _tiny_llama()
    model.train()  # must be restored after generation
    generator = ModelQAGenerator(model, tokenizer, max_new_tokens=12, chunk_chars=1200)
    reply = generator._complete("Read the text and write questions about it.")
    assert isinstance(reply, str)
    assert model.training
    pairs = generator.generate(TEXT, 3)
    assert len(pairs) <= 3
    assert all(p.evidence and p.evidence in TEXT and p.source == "model" for p in pairs)
    # Greedy decoding is deterministic.
    assert generator._complete("Q: A: E:") == generator._complete("Q: A: E:")
