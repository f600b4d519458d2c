"""The LoRA memory's relevance gate: shut, the base model; open, the LoRA; saved and restored;
trained open on the corpus and shut on retention samples."""

from __future__ import annotations

import pytest
import torch

from lift_memory import LiftMemory
from lift_memory.adapters import GATE_PREFIX, create_adapter, restore_adapter
from lift_memory.answer import generate_reply
from lift_memory.batches import collate
from lift_memory.config import LiftConfig, LoraSettings
from lift_memory.consolidate import consolidate, open_memory
from lift_memory.documents import Document
from lift_memory.ingest import ingest
from lift_memory.memory_files import read_shut_questions
from lift_memory.prompts import IGNORE_INDEX, TrainingSample, prompt_ids, question_prompt
from lift_memory.relevance_fit import fit_relevance_gate, last_prompt_states
from lift_memory.relevance_shut_side import extra_shut_questions, passage_questions
from lift_memory.train import LiftTrainer, Stage


def ids() -> torch.Tensor:
    return torch.tensor([[40 + (i * 5) % 70 for i in range(20)]])


@torch.no_grad()
def logits(loaded) -> torch.Tensor:
    loaded.model.eval()
    return loaded.model(ids()).logits


def config(gate: bool = True, **overrides) -> LiftConfig:
    lora = LoraSettings(rank=4, alpha=8, top_layers=1, answer_scale=1.0, relevance_gate=gate)
    values = dict(
        adapter="lora",
        lora=lora,
        segment_length=32,
        segment_stride=16,
        max_batch_tokens=64,
        warmup_steps=1,
        learning_rate=3e-2,
        lr_decay_share=1.0,  # the gate's training test was set at the whole-run cosine
    )
    values.update(overrides)
    return LiftConfig(**values)


def moved(adapter) -> None:
    """Factors that change the output, as a trained memory's do."""
    torch.manual_seed(0)
    for name, parameter in adapter._model.named_parameters():
        if "lora_" in name:
            parameter.data.normal_(0.0, 0.2)


def test_a_shut_gate_is_the_base_model_and_an_open_one_the_lora(tiny) -> None:
    loaded = tiny("llama")
    base = logits(loaded)
    ungated = create_adapter(loaded, config(gate=False))
    moved(ungated)
    lora = logits(loaded)
    ungated.detach()
    assert not torch.allclose(lora, base, atol=1e-4)

    adapter = create_adapter(loaded, config())
    moved(adapter)
    assert adapter.gate is not None
    with torch.no_grad():
        adapter.gate.read.bias.fill_(-50.0)
    torch.testing.assert_close(logits(loaded), base)
    with torch.no_grad():
        adapter.gate.read.bias.fill_(50.0)
    torch.testing.assert_close(logits(loaded), lora)
    adapter.detach()
    torch.testing.assert_close(logits(loaded), base)  # the hooks went with it


def test_the_gate_is_saved_and_restored_with_the_factors(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config())
    moved(adapter)
    with torch.no_grad():
        adapter.gate.read.weight.normal_(0.0, 1.0)
        adapter.gate.read.bias.fill_(0.3)
    trained = logits(loaded)
    tensors = {k: v.clone() for k, v in adapter.tensors().items()}
    assert {GATE_PREFIX + "read.weight", GATE_PREFIX + "read.bias"} <= tensors.keys()
    metadata = adapter.metadata()
    adapter.detach()

    restored = restore_adapter(loaded, tensors, metadata)
    torch.testing.assert_close(logits(loaded), trained)
    assert restored.gate is not None
    assert sum(p.numel() for p in restored.parameters()) == sum(v.numel() for v in tensors.values())


def test_only_a_lora_takes_a_gate(tiny) -> None:
    with pytest.raises(ValueError, match="relevance gate"):
        create_adapter(tiny("llama"), config(adapter="pissa"))


def test_training_opens_the_gate_on_the_corpus_and_shuts_it_on_retention(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config())

    def sample(text: str, kind: str) -> TrainingSample:
        tokens = loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
        return TrainingSample(input_ids=tokens, labels=list(tokens), kind=kind)

    corpus = sample("The keeper of Varnholm lights the lamp at dusk and logs the ships.", "qa")
    kept = sample("What do bees make? Bees make honey from nectar.", "retention")
    trainer = LiftTrainer(loaded, adapter, config())
    trainer.train([Stage("qa", [corpus, kept], epochs=30)])

    @torch.no_grad()
    def mean_gate(example: TrainingSample) -> float:
        inputs = collate([example], 0, loaded.device)
        hidden = loaded.model(**inputs, output_hidden_states=True).hidden_states
        return torch.sigmoid(adapter.gate.logits(hidden[adapter.first_adapted_layer()])).mean()

    assert mean_gate(corpus) > 0.5 > mean_gate(kept)
    assert mean_gate(corpus) - mean_gate(kept) > 0.4


def test_the_supervision_loss_is_part_of_a_training_batch_and_only_then(tiny) -> None:
    loaded = tiny("llama")
    text = loaded.tokenizer("The lamp is lit at dusk.", add_special_tokens=False)["input_ids"]
    example = TrainingSample(input_ids=text, labels=list(text), kind="qa")
    inputs = collate([example], 0, loaded.device)
    losses = {}
    for gate in (False, True):
        adapter = create_adapter(loaded, config(gate=gate))
        trainer = LiftTrainer(loaded, adapter, config(gate=gate))
        loaded.model.train()
        losses[gate] = trainer.batch_loss("qa", inputs, [example]).item()
        loaded.model.eval()
        with torch.no_grad():
            loaded.model(**inputs)  # an answer's forward leaves nothing to train on
        assert adapter.relevance_loss(True, inputs["labels"]) is None
        adapter.detach()
    # at initialisation the LoRA changes nothing, so the difference is the gate's own loss:
    # binary cross-entropy towards open from sigmoid(2), weighed 1/2 (one side seen so far)
    expected = 0.5 * torch.nn.functional.softplus(torch.tensor(-2.0)).item()
    assert losses[True] - losses[False] == pytest.approx(expected, rel=1e-4)


def test_the_gate_learns_only_where_the_output_is_trained(tiny) -> None:
    """A chat's template and question are alike on both sides: only the positions that predict
    a labelled token (the last prompt token and the reply) are supervised."""
    loaded = tiny("llama")
    adapter = create_adapter(loaded, config())
    with torch.no_grad():
        adapter.gate.read.weight.normal_(0.0, 1.0)
    tokens = loaded.tokenizer("Who keeps the lamp? The keeper.", add_special_tokens=False)
    tokens = tokens["input_ids"]
    reply = 3  # the last three tokens are the reply
    example = TrainingSample(
        input_ids=tokens,
        labels=[IGNORE_INDEX] * (len(tokens) - reply) + tokens[-reply:],
        kind="retention",
    )
    inputs = collate([example], 0, loaded.device)
    loaded.model.train()
    loaded.model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    loss = adapter.relevance_loss(False, inputs["labels"])
    loaded.model.eval()
    with torch.no_grad():
        hidden = loaded.model(**inputs, output_hidden_states=True).hidden_states
        logits = adapter.gate.logits(hidden[adapter.first_adapted_layer()])[0, :, 0]
    # the positions before each reply token; one side seen so far weighs 1/2
    expected = 0.5 * torch.nn.functional.softplus(logits[-reply - 1 : -1]).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4)


# --- a gate fitted after training (LoraSettings.fitted_relevance_gate, relevance_fit.py) ---

CORPUS_QUESTIONS = [
    f"Who built the {thing} of Varnholm in {year}?"
    for thing in ("bridge", "mill", "lantern", "tower", "harbour")
    for year in (1702, 1815, 1890)
]
EVERYDAY_PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about autumn.",
    "How many legs does a spider have?",
    "Explain photosynthesis briefly.",
    "Translate 'good morning' into Spanish.",
    "What is two plus two?",
]


@pytest.mark.parametrize("architecture", ["llama", "gemma3"])
def test_the_read_states_are_each_prompts_own_in_any_batch(tiny, architecture: str) -> None:
    """Batched (padded on the right, sorted by length) the states at the last prompt token are
    the ones a prompt alone gives, in the order asked."""
    loaded = tiny(architecture)
    prompts = [*EVERYDAY_PROMPTS, *CORPUS_QUESTIONS[:4]]  # lengths differ
    alone = last_prompt_states(loaded, 1, prompts, batch_size=1)
    batched = last_prompt_states(loaded, 1, prompts, batch_size=4)
    assert batched.shape == (len(prompts), loaded.model.config.hidden_size)
    torch.testing.assert_close(batched, alone, rtol=1e-4, atol=1e-5)


def fitted_config() -> LiftConfig:
    lora = LoraSettings(rank=4, alpha=8, top_layers=1, answer_scale=1.0, fitted_relevance_gate=True)
    return config(gate=False).model_copy(update={"lora": lora})


def reply(loaded, adapter, question: str, use_memory: bool = True) -> str:
    ids = prompt_ids(loaded.tokenizer, question_prompt(question))
    return generate_reply(
        loaded, ids, adapter=adapter, use_memory=use_memory, max_new_tokens=6
    ).text


def test_a_fitted_gate_opens_on_the_corpus_questions_and_shuts_on_everyday_ones(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, fitted_config())
    assert adapter.gate is None  # nothing is fitted before training ends
    moved(adapter)
    layer = adapter.first_adapted_layer()
    fit = fit_relevance_gate(loaded, layer, CORPUS_QUESTIONS, EVERYDAY_PROMPTS, margin=0.0)
    assert fit.questions_open == 1.0 and fit.prompts_shut == 1.0
    assert not any(p.requires_grad for p in fit.gate.parameters())
    lora = {q: reply(loaded, adapter, q) for q in (*CORPUS_QUESTIONS[:2], *EVERYDAY_PROMPTS[:2])}
    base = {q: reply(loaded, adapter, q, use_memory=False) for q in lora}
    adapter.install_gate(fit.gate)
    assert adapter.gate is fit.gate
    assert all(p is not fit.gate.read.bias for p in adapter.parameters())  # not trained
    # the decision is held: every generated token of a question answers like the memory's
    # (open) or the base model's (shut), not token by token
    for question in CORPUS_QUESTIONS[:2]:
        gate = fit.gate
        assert reply(loaded, adapter, question) == lora[question]
        assert gate._gate is not None and gate._gate.shape == (1, 1, 1)
        assert gate._gate.item() == 1.0  # all of the update, not a share of it
    for prompt in EVERYDAY_PROMPTS[:2]:  # shut: the base model's answer exactly
        assert reply(loaded, adapter, prompt) == base[prompt]
        assert fit.gate._gate.item() == 0.0
    adapter.detach()


def test_a_fitted_gate_is_out_of_the_way_while_the_memory_trains(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, fitted_config())
    moved(adapter)
    loaded.model.train()
    with torch.no_grad():
        full = loaded.model(ids()).logits
    adapter.install_gate(
        fit_relevance_gate(
            loaded, adapter.first_adapted_layer(), CORPUS_QUESTIONS, EVERYDAY_PROMPTS
        ).gate
    )
    with torch.no_grad():
        adapter.gate.read.bias.fill_(-50.0)
    loaded.model.train()
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(ids()).logits, full)
    assert all("lora_" in n for n, _ in loaded.model.named_parameters() if _.requires_grad)
    assert len(list(adapter.parameters())) == len(
        [n for n, _ in loaded.model.named_parameters() if "lora_" in n]
    )
    loaded.model.eval()
    adapter.detach()


def test_a_fitted_gate_is_saved_and_restored_as_fitted(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, fitted_config())
    moved(adapter)
    fit = fit_relevance_gate(
        loaded, adapter.first_adapted_layer(), CORPUS_QUESTIONS, EVERYDAY_PROMPTS
    )
    adapter.install_gate(fit.gate)
    answers = [reply(loaded, adapter, q) for q in (CORPUS_QUESTIONS[0], EVERYDAY_PROMPTS[0])]
    tensors = {k: v.clone() for k, v in adapter.tensors().items()}
    metadata = adapter.metadata()
    adapter.detach()
    assert {GATE_PREFIX + "read.weight", GATE_PREFIX + "read.bias"} <= tensors.keys()
    restored = restore_adapter(loaded, tensors, metadata)
    assert restored.gate is not None and restored.gate.per_question
    assert not any(p.requires_grad for p in restored.gate.parameters())
    assert [reply(loaded, restored, q) for q in (CORPUS_QUESTIONS[0], EVERYDAY_PROMPTS[0])] == (
        answers
    )
    restored.detach()


def ingested(adapter: str, tiny, tmp_store, small_config, corpus):
    """A tiny memory of ``corpus`` with a fitted gate asked for, and 4 retention prompts."""
    lora = LoraSettings(rank=2, alpha=4, fitted_relevance_gate=True, relevance_self_questions=8)
    settings = small_config.model_copy(
        update={"adapter": adapter, "lora": lora, "retention_samples": 4}
    )
    document = [Document(text=corpus, source="c")]
    return ingest(document, "notes", store=tmp_store, model=tiny("llama"), config=settings)


def test_ingest_fits_the_gate_and_records_how_it_sorts_its_sides(
    tiny, tmp_store, small_config, corpus
) -> None:
    result = ingested("lora", tiny, tmp_store, small_config, corpus)
    metrics = result.manifest.metrics
    assert 0.0 <= metrics["relevance_questions_open"] <= 1.0
    assert 0.0 <= metrics["relevance_prompts_shut"] <= 1.0
    tensors, _ = tmp_store.load_adapter("notes")
    assert GATE_PREFIX + "read.bias" in tensors
    memory = LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))
    assert memory.adapter.gate is not None and memory.adapter.gate.per_question
    assert memory.ask("Who keeps the lighthouse?", max_new_tokens=3).latency_s > 0


def test_the_two_gates_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="choose relevance_gate"):
        LoraSettings(relevance_gate=True, fitted_relevance_gate=True)


def test_consolidation_fits_the_gate_again_on_every_question(
    tiny, tmp_store, small_config, corpus
) -> None:
    lora = LoraSettings(rank=2, alpha=4, fitted_relevance_gate=True)
    settings = small_config.model_copy(
        update={"adapter": "lora", "lora": lora, "retention_samples": 4}
    )
    memory = open_memory("chat", store=tmp_store, model=tiny("llama"), config=settings)
    assert memory.adapter.gate is None  # an empty memory has nothing to fit on
    lines: list[str] = []
    result = consolidate(
        memory, [Document("turns.txt", corpus)], store=tmp_store, on_stage=lines.append
    )
    assert "fitting the relevance gate" in lines
    assert "writing 256 turns the relevance gate shuts on" in lines  # the default, announced
    assert memory.adapter.gate is not None and memory.adapter.gate.per_question
    assert "relevance_questions_open" in result.manifest.metrics
    first = memory.adapter.gate
    consolidate(memory, [Document("more.txt", corpus.upper())], store=tmp_store)
    assert memory.adapter.gate is not first and memory.adapter.gate.per_question  # fitted again
    reloaded = LiftMemory.load("chat", store=tmp_store, model=tiny("llama"))
    assert reloaded.adapter.gate is not None and reloaded.adapter.gate.per_question


def test_a_lora_saved_before_the_fitted_gate_existed_restores_without_one(tiny) -> None:
    import json

    loaded = tiny("llama")
    adapter = create_adapter(loaded, config(gate=False))
    tensors = {k: v.clone() for k, v in adapter.tensors().items()}
    settings = json.loads(adapter.metadata()["settings"])
    adapter.detach()
    for key in ("fitted_relevance_gate", "relevance_margin", *SHUT_SIDE_KEYS):
        settings.pop(key)
    old = {"adapter_kind": "lora", "settings": json.dumps(settings)}
    restored = restore_adapter(loaded, tensors, old)
    assert not restored.settings.fitted_relevance_gate and restored.gate is None
    restored.detach()


SHUT_SIDE_KEYS = ("relevance_passage_questions", "relevance_self_questions")


def test_a_gate_fitted_before_its_extra_shut_questions_keeps_its_recipe(tiny) -> None:
    import json

    loaded = tiny("llama")
    adapter = create_adapter(loaded, fitted_config())
    moved(adapter)
    adapter.install_gate(
        fit_relevance_gate(
            loaded, adapter.first_adapted_layer(), CORPUS_QUESTIONS, EVERYDAY_PROMPTS
        ).gate
    )
    tensors = {k: v.clone() for k, v in adapter.tensors().items()}
    settings = json.loads(adapter.metadata()["settings"])
    adapter.detach()
    for key in SHUT_SIDE_KEYS:
        settings.pop(key)
    restored = restore_adapter(
        loaded, tensors, {"adapter_kind": "lora", "settings": json.dumps(settings)}
    )
    # still gated, and a consolidation fits it again on the retention prompts alone
    assert restored.gate is not None and restored.gate.per_question
    assert not restored.settings.relevance_passage_questions
    assert restored.settings.relevance_self_questions == 0
    restored.detach()


def test_the_gate_also_shuts_on_passage_questions_and_the_base_models_own_turns(tiny) -> None:
    loaded = tiny("llama")
    asked = passage_questions()
    # the fact generator's questions about everyday prose, in the corpus's question frames
    assert len(asked) > 20 and all(q.endswith("?") for q in asked)
    settings = LoraSettings(relevance_self_questions=8)
    extra = extra_shut_questions(loaded, settings, seed=3).value
    assert extra[: len(asked)] == asked
    turns = extra[len(asked) :]
    assert 0 < len(turns) <= 8 and not set(turns) & set(asked)
    assert extra_shut_questions(loaded, settings, seed=3).value == extra  # seeded
    none = LoraSettings(relevance_passage_questions=False, relevance_self_questions=0)
    assert extra_shut_questions(loaded, none).value == []


def test_ingest_keeps_the_shut_questions_and_fits_the_gate_on_them(
    tiny, tmp_store, small_config, corpus, monkeypatch
) -> None:
    import importlib

    ingest_module = importlib.import_module("lift_memory.ingest")  # the package exports ingest()
    fitted: list[list[str]] = []
    fit = ingest_module.fit_relevance_gate

    def recorded(loaded, layer, questions, prompts, **kwargs):
        fitted.append(list(prompts))
        return fit(loaded, layer, questions, prompts, **kwargs)

    monkeypatch.setattr(ingest_module, "fit_relevance_gate", recorded)
    ingested("lora", tiny, tmp_store, small_config, corpus)
    kept = read_shut_questions(tmp_store.path("notes"))
    assert kept is not None and kept[: len(passage_questions())] == passage_questions()
    assert 0 < len(kept) - len(passage_questions()) <= 8  # the turns the base model wrote
    [prompts] = fitted
    assert len(prompts) == 4 + len(kept) and prompts[4:] == kept  # the retention prompts first


def test_consolidation_reuses_the_shut_questions_a_memory_keeps(
    tiny, tmp_store, small_config, corpus, monkeypatch
) -> None:
    import importlib

    ingested("lora", tiny, tmp_store, small_config, corpus)
    kept = read_shut_questions(tmp_store.path("notes"))
    ingest_module = importlib.import_module("lift_memory.ingest")

    def never(*_args, **_kwargs):
        raise AssertionError("the kept shut questions are written again")

    monkeypatch.setattr(ingest_module, "extra_shut_questions", never)
    memory = LiftMemory.load("notes", store=tmp_store, model=tiny("llama"))
    lines: list[str] = []
    consolidate(
        memory, [Document("more.txt", corpus.upper())], store=tmp_store, on_stage=lines.append
    )
    assert "fitting the relevance gate" in lines and not any("writing" in x for x in lines)
    assert read_shut_questions(tmp_store.path("notes")) == kept


def test_a_pissa_memory_writes_no_shut_questions(tiny, tmp_store, small_config, corpus) -> None:
    ingested("pissa", tiny, tmp_store, small_config, corpus)
    assert read_shut_questions(tmp_store.path("notes")) is None  # no file: nothing to shut on


def test_a_suspended_fitted_gate_leaves_the_whole_update(tiny) -> None:
    loaded = tiny("llama")
    adapter = create_adapter(loaded, fitted_config())
    moved(adapter)
    full = logits(loaded)
    fit = fit_relevance_gate(
        loaded, adapter.first_adapted_layer(), CORPUS_QUESTIONS, EVERYDAY_PROMPTS
    )
    adapter.install_gate(fit.gate)
    with torch.no_grad():
        fit.gate.read.bias.fill_(-50.0)
    assert not torch.allclose(logits(loaded), full, atol=1e-4)  # shut: the base model
    with fit.gate.suspended():
        torch.testing.assert_close(logits(loaded), full)
    assert not torch.allclose(logits(loaded), full, atol=1e-4)
    adapter.detach()


def test_asking_for_the_trained_gate_turns_the_fitted_one_off() -> None:
    assert not LoraSettings(relevance_gate=True).fitted_relevance_gate


def test_pissa_ingests_without_a_fitted_gate(tiny, tmp_store, small_config, corpus) -> None:
    result = ingested("pissa", tiny, tmp_store, small_config, corpus)
    assert "relevance_questions_open" not in result.manifest.metrics
    tensors, _ = tmp_store.load_adapter("notes")
    assert not any(key.startswith(GATE_PREFIX) for key in tensors)
