"""Every knob of a LIFT ingest in one typed, validated object.

The defaults are tuned for the bundled SmolLM2-135M on a CPU: short segments, every fact of the
corpus asked several ways, a LoRA in the top 12 layers trained until the facts are extractable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lift_memory.gated_memory.config import GatedMemorySettings, top_layer_indices
from lift_memory.generic_prompts import RETENTION_PROMPTS

DEFAULT_QA_COUNT = 40  # pairs asked of the model / endpoint / cloze generators
AdapterKind = Literal["gated_memory", "lora", "pissa"]
Precision = Literal["auto", "bf16", "fp32"]  # training's arithmetic (lift_memory/precision.py)
QAGeneratorKind = Literal["auto", "model", "facts", "cloze", "openai", "jsonl", "none"]
# bridged: "Pethholm, the place where Orla was born, was founded in 1228." (the bridge name
# first, recalled from the question alone); chained: "Orla was born in Pethholm. Pethholm was
# founded in 1228." (each hop a single fact the memory already answers, the first opened by a
# name the question gives)
ComposedReply = Literal["bridged", "chained", "joined"]
# pick: "First: Kowim Rimkourk founded the Beispock Guild, in 1266." (the earlier event alone);
# years-first: "Founded the Beispock Guild in 1266, opened the library of Kriolby in 1300. First:
# Kowim Rimkourk founded the Beispock Guild." (both years recalled, without the people, before
# the pick: the comparison is then made between two years the answer has just written)
TimelineReply = Literal["pick", "years-first", "years-compared"]
# The learning rate each adapter trains at when the config names none: the freshly initialised
# Gated Memory needs a high one, LoRA and PiSSA diverge at it (docs/benchmarks.md, Recall
# experiments: LoRA learns the same facts at 1e-3 to 5e-3).
DEFAULT_LEARNING_RATES: dict[str, float] = {"gated_memory": 1e-2, "lora": 2e-3, "pissa": 2e-3}


class LoraSettings(BaseModel):
    """A PEFT LoRA (the default memory) or PiSSA adapter.

    The defaults are the LoRA that beat the Gated Memory on recall, retention and cost in
    docs/architecture.md ("The default adapter"): rank 32 on every linear module of the top 12
    decoder layers, the Gated Memory's placement and about its parameter budget.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank: int = Field(default=32, ge=1, le=512)
    alpha: int = Field(default=64, ge=1, le=4096)
    target_modules: str | list[str] = "all-linear"
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    top_layers: int | None = Field(
        default=12,
        ge=1,
        description="Adapt only the top K decoder layers (None: every layer). The layers "
        "below stay frozen, so training replays their output (frozen_prefix.py) instead of "
        "recomputing it, and the Gated Memory's placement makes an ablation compare modules.",
    )

    # the default since the quality profile measured it on four memories (docs/benchmarks.md,
    # "fourteenth" and "fifteenth" sessions): at 0.85 single facts, timeline and needles within
    # one question, multi-hop 1-3 of 24 lower, the perplexity ratio 0.13-0.24 lower (x1.41 ->
    # x1.28, x1.46 -> x1.30); the demo 0 or 1 question of 9 lower; at 0.5 recall collapses
    answer_scale: float = Field(
        default=0.85,
        gt=0.0,
        le=1.0,
        description="The trained update B A is multiplied by this when the memory answers, "
        "not while it trains: a weight-space interpolation toward the base model (WiSE-FT, "
        "arXiv 2109.01903) that trades multi-hop recall for less damage to unrelated text. "
        "LoRA only: PiSSA (which rewrote the base weights) and the Gated Memory (which has its "
        "gate) answer at 1.0 whatever it says, as do memories saved before it existed.",
    )
    loraplus_lr_ratio: float | None = Field(
        default=None,
        ge=1.0,
        le=1000.0,
        description="LoRA+ (arXiv 2402.12354): the B factors learn at this multiple of the "
        "learning rate, the A factors at it. B starts at zero and carries the update's output "
        "directions; a faster B moves the update out of its first steps sooner "
        "(lift_memory/optimizer.py). None: one learning rate for both.",
    )
    generic_null_space: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="Keep the update out of the input directions that hold this share of the "
        "base model's activations on the retention text, per adapted module: after every step "
        "each A is projected onto their complement (lift_memory/null_space.py, AlphaEdit's "
        "null-space constraint), so unrelated inputs pass the adapted layers as in the base "
        "model. LoRA only. None: unconstrained.",
    )

    # opt-in: on the quality corpus it stayed open on the generic probes (-42 %) and raised
    # unrelated text's perplexity (x1.64 against x1.28) (docs/benchmarks.md, twentieth session)
    relevance_gate: bool = Field(
        default=False,
        description="Scale the update, token by token, by a learned gate read from the hidden "
        "state entering the first adapted layer: trained open on the corpus's batches and shut "
        "on the retention samples, so that questions unrelated to the corpus reach the base "
        "model (lift_memory/relevance_gate.py). LoRA only.",
    )
    relevance_gate_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=100.0,
        description="Weight of the gate's own loss (open on the corpus, shut on retention "
        "samples, both sides weighed alike) beside the gradients the task sends through it.",
    )

    # default since the twenty-first session: on the quality corpus it kept the generic probes
    # and unrelated text's perplexity at the base model's where it shut, at the recall of the
    # memory without it (docs/benchmarks.md, twenty-first session); the margin is read on held-out
    # sides (the Varnholm dev questions, the retention prompts a default ingest leaves untrained):
    # 1 with the retention prompts alone shut, 0 with the shut side below
    fitted_relevance_gate: bool = Field(
        default=True,
        description="After training, fit a gate that decides once per question whether the "
        "update applies: a logistic read of the hidden state entering the first adapted layer "
        "at the prompt's last token, fitted on the memory's training questions (open) against "
        "its retention prompts and the questions below (shut) and held for the reply "
        "(lift_memory/relevance_fit.py). "
        "Questions it shuts on are answered by the base model. LoRA only (PiSSA and the "
        "Gated Memory ignore it); relevance_gate=True turns it off.",
    )
    # the shut side since the twenty-second session: at the margin read on held-out sides it
    # shut 86 % of the quality memory's generic probes instead of 67 % and opened on 58 % of a
    # foreign corpus's questions instead of 85 % (docs/benchmarks.md, twenty-second session)
    relevance_passage_questions: bool = Field(
        default=True,
        description="Also shut a fitted relevance gate on the fact generator's questions about "
        "the bundled retention passages: the corpus's question frames about everyday prose "
        "(lift_memory/relevance_shut_side.py).",
    )
    relevance_self_questions: int = Field(
        default=256,
        ge=0,
        le=1000,
        description="Also shut a fitted relevance gate on this many user turns the base model "
        "writes itself (half opened with a question word; lift_memory/self_prompts.py). "
        "0: none.",
    )
    relevance_margin: float = Field(
        default=0.0,
        ge=-20.0,
        le=20.0,
        description="Logit added to a fitted relevance gate: positive opens it on more "
        "questions (recall first), negative shuts it on more (the base model's answers first).",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_relevance_gate(cls, data: object) -> object:
        """Asking for the trained gate turns the fitted one off unless both are asked for."""
        if isinstance(data, dict) and data.get("relevance_gate"):
            if data.get("fitted_relevance_gate"):
                raise ValueError("choose relevance_gate (trained) or fitted_relevance_gate")
            return {**data, "fitted_relevance_gate": False}
        return data

    def chosen_layers(self, num_layers: int) -> list[int]:
        """The decoder layer indices this LoRA adapts, in a decoder of ``num_layers`` layers."""
        return top_layer_indices(num_layers, self.top_layers)


class LiftConfig(BaseModel):
    """Configuration of one LIFT ingest: segmentation, adapter, auxiliary tasks, optimisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- segmentation (docs/design.md §1.1)
    segment_length: int = Field(default=256, ge=16, le=32768)
    segment_stride: int = Field(default=128, ge=1, le=32768)
    contextualized: bool = Field(
        default=False,
        description="Add 'truncated corpus + recite instruction' samples (the paper's "
        "contextualized training; off by default: they doubled the training tokens at the same "
        "closed-book recall, docs/architecture.md).",
    )
    context_window: int = Field(
        default=256,
        ge=16,
        le=32768,
        description="Token budget of the truncated corpus view (training and inference).",
    )

    # --- adapter
    # LoRA learns more facts with less damage than the Gated Memory on SmolLM2-135M
    # (docs/architecture.md, "The default adapter"); the paper's Gated Memory stays available.
    adapter: AdapterKind = "lora"
    gated_memory: GatedMemorySettings = GatedMemorySettings()
    lora: LoraSettings = LoraSettings()

    # --- auxiliary QA (docs/design.md §1.3)
    qa_generator: QAGeneratorKind = "auto"
    qa_count: int | None = Field(
        default=None,
        ge=0,
        le=100000,
        description="Most QA pairs to generate (0: none). None: the generator's own count — "
        "every fact × qa_per_fact for 'facts', 40 for the others.",
    )
    qa_per_fact: int = Field(
        default=4,
        ge=1,
        le=32,
        description="'facts' generator: phrasings per fact (fronted, active, reverse, "
        "short-name, in-situ), so the pair count scales with the corpus's facts. 2 held every "
        "recall and retention bar of the quality profile with 27 % fewer training tokens than "
        "4 and the demo text's questions at seed 1 (8 of 9), but at seed 0, the demo's, it "
        "answers 6 of 9 instead of 8 (docs/benchmarks.md, twenty-sixth and twenty-seventh "
        "sessions).",
    )
    qa_restate_modifiers: bool = Field(
        default=False,
        description="'facts' generator: also ask the facts held in each sentence's modifiers, "
        "restated as sentences of their own (relative clauses, appositions, participles: 'The "
        "island's bakery, run by Tomas Quill, ...' -> 'Who runs the island's bakery?'). On the "
        "1k-token demo text it answered 59 of 78 held-out questions at three seeds against 46, "
        "and the demo 8 of 9, but the end-to-end test's text lost a fact (3 of 5) and the "
        "unrelated control changed in 2 of 4 runs, so it stays off (docs/benchmarks.md, tenth "
        "session).",
    )
    qa_timeline_pairs: bool = Field(
        default=True,
        description="'facts' generator: also ask which of two dated events of the corpus came "
        "first, in both orders, answered by the earlier event alone (lift_memory/qa/"
        "timeline_pairs.py). On a timeline-only corpus: 58 % -> 92 % of which-came-first "
        "questions at +16 % training tokens (docs/benchmarks.md).",
    )
    # the default since the quality profile measured it with the joined multi-hop replies:
    # timeline 46-58 % (pick) -> 88 % and 54 % in two trainings, multi-hop 96 % and 79 %
    # (docs/benchmarks.md, "Session of 2026-12-05 (tenth)"); its replies need the 64-token budget
    qa_timeline_reply: TimelineReply = Field(
        default="years-compared",
        description="'facts' generator, which-came-first pairs: 'pick' answers with the earlier "
        "event and its year ('First: Kowim Rimkourk founded the Beispock Guild, in 1266.'); "
        "'years-first' first recalls both events' years without their people ('Founded the "
        "Beispock Guild in 1266, opened the library of Kriolby in 1300. First: Kowim Rimkourk "
        "founded the Beispock Guild.'), so the pick compares two years just written; "
        "'years-compared' (the default) also states the two years' order before the pick "
        "('… 1266 is before 1300. First: …'), so the pick only finds the event of the year "
        "named first: on the quality profile 88 % and 54 % of which-came-first questions in two "
        "trainings, against 46-58 % for the pick; its replies (~56 tokens) fit the 64-token answer budget "
        "(lift_memory/answer_length.py, docs/lift.md §3).",
    )
    qa_composed_reply: ComposedReply = Field(
        default="joined",
        description="'facts' generator, multi-hop pairs: chained answers with the two facts in "
        "the order they are recalled ('Orla was born in Pethholm. Pethholm was founded in "
        "1228.'), each hop a single fact opened by what the question names; bridged with the "
        "bridge name first ('Pethholm, the place where Orla was born, was founded in 1228.'); "
        "joined (the default): the chained facts in one sentence ('Orla was born in Pethholm; "
        "Pethholm was founded in 1228.'), so no full stop after the first hop invites the end "
        "of the reply: on the quality profile 96 % and 79 % of multi-hop questions in two "
        "trainings, where chained answers stopped after the first hop in whole trainings "
        "(0-46 %, docs/benchmarks.md).",
    )
    qa_unique_answers: bool = Field(
        default=False,
        description="'facts' generator: leave out a question the corpus answers with two "
        "different names ('Who works as a falconer?' where three people do), and the "
        "multi-hop questions built on one. Off by default: on a dev text where every "
        "occupation and birthplace is shared it trained 30 % fewer tokens but answered 29 of "
        "36 held-out questions against 34, the left-out pairs' replies having restated each "
        "binding once more (docs/benchmarks.md, thirty-first session).",
    )
    qa_composed_frames: int = Field(
        default=2,
        ge=1,
        le=4,
        description="'facts' generator, multi-hop pairs: ask each composition in up to this "
        "many of the second fact's question frames: its first ('Where was the person who made "
        "the Walen map born?'), then its synonym rewordings ('In which place was …'; most "
        "facts have one). On a multi-hop-only "
        "corpus: 79 % with 1, 96 % with 2, at +18 % training tokens (docs/benchmarks.md).",
    )
    fact_statements: bool = Field(
        default=True,
        description="Also train each paragraph restated as its facts' short sentences and with "
        "its sentences reordered, as plain text in stage 2 ('facts' generator's parse).",
    )
    qa_answer_style: Literal["sentence", "short", "answer_first"] = Field(
        default="sentence",
        description="sentence: train the evidence sentence as the reply (the fact in the "
        "model's own answering style, recalled through the memorised text); short: the bare "
        "answer span (a reply worked out in steps, a timeline comparison or a multi-hop chain, "
        "stays whole); answer_first: the short answer, then the sentence ('1847. The "
        "lighthouse was built in 1847 ...'), so the question itself, not a restated prefix, "
        "must bring up the answer (docs/lift.md §6).",
    )
    self_distillation: float = Field(
        default=0.0,
        ge=0.0,
        le=10.0,
        description="Weight of the KL to the base model answering with the fact's paragraph in "
        "its prompt, added to the cross-entropy of closed-book QA samples where that teacher "
        "answers right (docs/lift.md §7). 0: cross-entropy alone.",
    )
    qa_with_context_fraction: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of QA samples that also see a truncated corpus view in the prompt.",
    )
    # the 32 everyday prompts and the first 32 framed ones since the sixteenth session: the
    # recipe whose run met four bars in one (docs/benchmarks.md, "sixteenth", R); the 32
    # everyday ones alone had kept the 1k-token demo text's generic accuracy and cut its
    # unrelated-text perplexity ratio from x3.27 to x1.73 (docs/benchmarks.md, Recall experiments)
    retention_samples: int = Field(
        default=64,
        ge=0,
        le=len(RETENTION_PROMPTS),
        description="Generic prompts whose base-model answers are kept as targets, "
        "so the memory learns to stay closed for unrelated queries: the 32 everyday ones, "
        f"then up to {len(RETENTION_PROMPTS) - 32} more in the frames of a memory's training "
        "questions (lift_memory/generic_prompts.py).",
    )
    retention_self_prompts: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Chats the base model writes itself (a user turn sampled from its chat "
        "template, half of them opened with a question word, and its greedy reply) trained as "
        "retention samples beside the bundled prompts: a broad sample of what the model is used "
        "for (lift_memory/self_prompts.py).",
    )
    # plain text the model writes itself: the corpus is trained as plain text every epoch, and
    # plain retention text is what keeps unrelated text's perplexity; the default since the
    # quality profile measured it (docs/benchmarks.md, "Session of 2026-12-04 (eighth)")
    retention_self_passages: int = Field(
        default=48,
        ge=0,
        le=1000,
        description="Plain-text passages the base model writes itself (sampled from a document "
        "start, ~95 tokens each) trained as retention text: on the quality profile 24 of them "
        "cut the unrelated-text perplexity ratio from x2.28 to x1.66, with single facts "
        "88 -> 92 % and multi-hop 17 -> 96 %; 48 with all 14 bundled passages are the default "
        "(lift_memory/self_prompts.py, docs/benchmarks.md). 0: none.",
    )
    retention_passages: int = Field(
        default=14,
        ge=0,
        le=14,
        description="Bundled generic passages (up to 14: 8 of expository prose, then a "
        "dialogue, verse, code, instructions, a letter and a news brief) trained as retention "
        "text, so the memory also leaves ordinary text alone, not only short Q&A turns.",
    )

    retention_share: float | None = Field(
        default=None,
        ge=0.0,
        lt=1.0,
        description="Repeat the retention samples in stage 2 until they are at least this share "
        "of its tokens. None: once per epoch; the bundled text alone is ~6 % of a 1k-token "
        "corpus's stage 2 but ~2 % of a 6k-token one's (docs/benchmarks.md).",
    )

    retention_loss: Literal["kl", "ce"] = Field(
        default="kl",
        description="kl: match the base model's distribution at every position of retention "
        "samples; ce: cross-entropy on the base model's greedy answers only.",
    )
    # 1: at 8 the quality corpus's generic probes did not move (-42 % against -44 %) and the
    # trained retention replies were held no closer (docs/benchmarks.md, nineteenth session)
    retention_weight: float = Field(
        default=1.0,
        gt=0.0,
        le=100.0,
        description="Factor on the loss of retention batches (their KL to the base model, or "
        "cross-entropy with retention_loss='ce'): above 1 the memory is held closer to the base "
        "model on them, against the pull of the corpus's QA batches.",
    )
    retention_gate_penalty: float = Field(
        default=0.0,
        ge=0.0,
        le=100.0,
        description="Weight of the mean gate value added to the loss of retention batches: "
        "pushes the gate shut for queries unrelated to the corpus.",
    )

    # --- train until facts are extractable (docs/lift.md §6)
    learn_until: float | None = Field(
        default=0.9,
        gt=0.0,
        le=1.0,
        description="Stage 2 ends once this share of the facts is extractable closed-book "
        "(every reply token above extractable_threshold, teacher-forced); learned facts rest "
        "in later epochs. stage2_epochs is then a maximum. None: train every epoch.",
    )
    extractable_threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    probe_whole_replies: bool = Field(
        default=True,
        description="Probe the whole reply of a pair that names one (QAPair.probed: the "
        "years-recalling timeline replies, whose pick is copied from the order they state, and "
        "the multi-hop replies, whose answer follows the bridge they name), not its answer "
        "alone. On the quality profile: timeline 54 -> 92 % at 15 % more "
        "training tokens, multi-hop 17 -> 58 % (docs/benchmarks.md). False: every fact is "
        "probed on its answer.",
    )
    reprobe_learned_every: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Probe the facts already learned (resting) after every this-many epochs "
        "only; after the other epochs only the pending facts are probed and the learned ones "
        "keep resting. Late epochs train few samples, and probing every fact is then a large "
        "share of their cost (docs/lift.md §6). 1: every epoch probes every fact.",
    )
    rest_extractable_phrasings: bool = Field(
        default=False,
        description="Also rest, for one epoch, the closed-book questions of a still pending "
        "fact whose answer already passes its probe: the epoch trains the fact's questions that "
        "fail. Each is probed again after the epoch (its fact is pending) and trains again "
        "once it fails. "
        "False: a fact's phrasings rest only together, once all of them pass (docs/lift.md "
        "§6).",
    )
    pending_repeats: int = Field(
        default=0,
        ge=0,
        le=8,
        description="Up-weight the facts that stay pending: a fact not yet extractable after "
        "pending_repeat_after probes in a row has its questions trained this many extra times "
        "in the next epoch (only with learn_until, whose probes find them; docs/lift.md §6). "
        "0: every pending question trains once per epoch.",
    )
    pending_repeat_after: int = Field(
        default=2,
        ge=1,
        le=100,
        description="How many probes in a row a fact must fail before pending_repeats "
        "up-weights it: the first probes find most facts pending, and repeating all of them "
        "would be a whole extra epoch.",
    )
    learn_patience: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Stage 2 also ends when the facts learned have not risen by at least 1 % "
        "of the facts above their best for this many epochs in a row: a plateau, where more "
        "epochs cost tokens without adding facts (docs/lift.md §6); only with learn_until, "
        "whose probes count the facts. None: only learn_until and stage2_epochs end it.",
    )

    plain_text_epochs: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Stage 2 trains the corpus as plain text (its segments and restated "
        "statements) in its first this-many epochs only; later epochs train the facts still "
        "pending and the retention samples. Plain corpus text is most of an epoch once most "
        "facts rest, and what moves unrelated text's perplexity (docs/lift.md §6). At 1 on the "
        "quality profile: perplexity x1.82 -> x1.54, but needles 96 -> 62 % and 10 epochs "
        "instead of 6 (docs/benchmarks.md). None: every epoch.",
    )

    # --- optimisation (docs/design.md §1: stage 1 segments, stage 2 segments ∪ QA)
    # stage 1 only has to make the text familiar; stage 2 runs until the facts are learned
    # (learn_until), with stage2_epochs as its maximum
    # one epoch of plain segments before the QA since the sixteenth session (P, Q and R trained so)
    stage1_epochs: int = Field(default=1, ge=0, le=1000)
    stage2_epochs: int = Field(default=12, ge=0, le=1000)
    learning_rate: float = Field(
        default=DEFAULT_LEARNING_RATES["lora"],
        gt=0.0,
        le=1.0,
        description="Peak learning rate. Left out: the adapter's own (DEFAULT_LEARNING_RATES).",
    )
    # 0.4 since the twenty-fourth session (one training): on the quality corpus 758 of 779 facts
    # in 1 + 7 epochs instead of 721 in 1 + 9, every recall bar held from the fifth epoch on,
    # generic drop 6 %, perplexity x1.00, 402 s per 1k corpus tokens instead of 510
    # (docs/benchmarks.md)
    lr_decay_share: float = Field(
        default=0.4,
        gt=0.0,
        le=1.0,
        description="The learning rate's cosine reaches its floor (a tenth of the peak) after "
        "this share of the planned steps and stays there. The planned steps count every epoch "
        "of both stages whole; with learn_until a run rests the facts it has learned and stops "
        "early (on the quality corpus after ~38 % of them), so at 1.0 it ends near 70 % of the "
        "peak; at 0.4 (the default) near a quarter of it (docs/lift.md §6).",
    )
    weight_decay: float = Field(default=0.0, ge=0.0, le=1.0)
    warmup_steps: int = Field(default=5, ge=0, le=100000)
    max_grad_norm: float = Field(default=1.0, gt=0.0, le=1000.0)
    max_batch_tokens: int = Field(
        default=1024, ge=16, le=1_000_000, description="Padded tokens per optimizer step."
    )
    # the default since the quality profile measured it: 252 s per 1k corpus tokens against 392
    # in float32, at the same facts learned (726 and 727 of 778) and the same 7 epochs
    # (docs/benchmarks.md, "Session of 2026-12-05 (thirteenth)")
    precision: Precision = Field(
        default="auto",
        description="Arithmetic of training's forward passes and probes: fp32, or bf16 autocast "
        "(matrix products in bfloat16; weights, optimizer state, the adapted layers' sums and "
        "the residual stream stay float32). auto (the default): bf16 where the device has "
        "bfloat16 units (a CPU with AVX512-BF16 or AMX, a CUDA GPU that supports it), else fp32; "
        "the Gated Memory always fp32 under auto (lift_memory/precision.py, docs/lift.md §8).",
    )
    seed: int = Field(default=0, ge=0)
    checkpoint_every_steps: int = Field(
        default=50, ge=1, le=1_000_000, description="Also checkpointed at every epoch end."
    )
    frozen_cache_max_bytes: int = Field(
        default=4 * 1024**3,
        ge=0,
        description="Memory allowed for the hidden states of the frozen layers below the "
        "first adapted layer, computed once per sample instead of every epoch; 0 turns the "
        "cache off. Above the limit training falls back to full forward passes.",
    )

    def planned_qa_count(self) -> int:
        """The QA pairs a generator other than 'facts' is asked for."""
        return DEFAULT_QA_COUNT if self.qa_count is None else self.qa_count

    @model_validator(mode="before")
    @classmethod
    def _adapter_learning_rate(cls, data: object) -> object:
        if isinstance(data, dict) and "learning_rate" not in data:
            adapter = data.get("adapter", cls.model_fields["adapter"].default)
            if adapter in DEFAULT_LEARNING_RATES:
                return {**data, "learning_rate": DEFAULT_LEARNING_RATES[adapter]}
        return data

    @model_validator(mode="after")
    def _stride_shorter_than_segment(self) -> LiftConfig:
        if self.segment_stride >= self.segment_length:
            raise ValueError(
                f"segment_stride ({self.segment_stride}) must be smaller than "
                f"segment_length ({self.segment_length})"
            )
        if self.stage1_epochs + self.stage2_epochs == 0:
            raise ValueError("at least one of stage1_epochs / stage2_epochs must be > 0")
        if self.lora.loraplus_lr_ratio is not None and self.adapter == "gated_memory":
            raise ValueError("lora.loraplus_lr_ratio needs adapter 'lora' or 'pissa'")
        return self
