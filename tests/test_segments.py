"""Segmentation (docs/design.md §1.1): coverage, overlap, linear count, document boundaries,
contextualized samples."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lift_memory.prompts import ELLIPSIS, IGNORE_INDEX
from lift_memory.segments import (
    Document,
    TokenizedDocument,
    contextualized_samples,
    segment_samples,
    segment_spans,
    tokenize_documents,
)
from lift_memory.tiny import byte_tokenizer

TOKENIZER = byte_tokenizer()


@st.composite
def geometry(draw, max_tokens: int = 3000) -> tuple[int, int, int]:
    length = draw(st.integers(min_value=2, max_value=300))
    stride = draw(st.integers(min_value=1, max_value=length - 1))
    num_tokens = draw(st.integers(min_value=0, max_value=max_tokens))
    return num_tokens, length, stride


def expected_count(num_tokens: int, length: int, stride: int) -> int:
    if num_tokens <= 0:
        return 0
    return math.ceil(max(num_tokens - length, 0) / stride) + 1


@given(geometry())
def test_spans_cover_every_token_in_order(case: tuple[int, int, int]) -> None:
    n, length, stride = case
    spans = segment_spans(n, length, stride)
    covered = set()
    for start, end in spans:
        assert 0 <= start < end <= n
        covered.update(range(start, end))
    assert covered == set(range(n))
    if spans:
        assert spans[0][0] == 0
        assert spans[-1][1] == n
    assert [s for s, _ in spans] == sorted({s for s, _ in spans})


@given(geometry())
def test_overlap_is_length_minus_stride_and_spans_are_full(case: tuple[int, int, int]) -> None:
    n, length, stride = case
    spans = segment_spans(n, length, stride)
    for (start, end), (next_start, _next_end) in zip(spans, spans[1:], strict=False):
        assert end - start == length  # every span but the last is full
        assert next_start - start == stride
        assert end - next_start == length - stride  # the shared tokens
    if spans:
        assert 0 < spans[-1][1] - spans[-1][0] <= length


@given(geometry())
def test_segment_count_is_linear(case: tuple[int, int, int]) -> None:
    n, length, stride = case
    assert len(segment_spans(n, length, stride)) == expected_count(n, length, stride)


@given(st.integers(min_value=2, max_value=64), st.data())
def test_doubling_the_input_roughly_doubles_the_segments(length: int, data) -> None:
    stride = data.draw(st.integers(min_value=1, max_value=length - 1))
    n = data.draw(st.integers(min_value=length, max_value=2000))
    small = len(segment_spans(n, length, stride))
    large = len(segment_spans(2 * n, length, stride))
    # ceil((2n-l)/s) + 1 ≤ 2·(ceil((n-l)/s) + 1) + l/s: linear growth, never quadratic
    assert large <= 2 * small + math.ceil(length / stride)
    assert large >= small


@pytest.mark.parametrize(("length", "stride"), [(0, 0), (4, 0), (4, 4), (4, 5), (-1, -2)])
def test_invalid_geometry_is_refused(length: int, stride: int) -> None:
    with pytest.raises(ValueError):
        segment_spans(10, length, stride)


token_lists = st.lists(st.integers(min_value=0, max_value=258), min_size=0, max_size=400)


@given(st.lists(token_lists, min_size=1, max_size=5), geometry(max_tokens=0))
def test_segment_samples_never_cross_documents(
    docs: list[list[int]], case: tuple[int, int, int]
) -> None:
    _n, length, stride = case
    tokenized = [TokenizedDocument(f"doc{i}", ids) for i, ids in enumerate(docs)]
    samples = segment_samples(tokenized, length, stride)
    expected: list[list[int]] = []
    for ids in docs:
        expected += [ids[s:e] for s, e in segment_spans(len(ids), length, stride)]
    assert [s.input_ids for s in samples] == expected  # each is a slice of one document
    assert len(samples) == sum(expected_count(len(ids), length, stride) for ids in docs)
    for sample in samples:
        assert sample.labels == sample.input_ids  # loss on every token
        assert sample.kind == "segment"
        assert len(sample.input_ids) <= length


def test_document_boundary_is_not_bridged() -> None:
    docs = [TokenizedDocument("a", [1] * 10), TokenizedDocument("b", [2] * 10)]
    samples = segment_samples(docs, length=8, stride=4)
    for sample in samples:
        assert len(set(sample.input_ids)) == 1  # a sample holds tokens of one document only


ascii_text = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789,;"),
    min_size=1,
    max_size=400,
)


def _prompt_and_target(sample) -> tuple[str, list[int]]:
    prompt = [
        t for t, lab in zip(sample.input_ids, sample.labels, strict=True) if lab == IGNORE_INDEX
    ]
    target = [lab for lab in sample.labels if lab != IGNORE_INDEX]
    return TOKENIZER.decode(prompt), target


@settings(max_examples=40, deadline=None)
@given(
    st.lists(ascii_text, min_size=1, max_size=3),
    st.integers(min_value=16, max_value=80),
    st.integers(min_value=16, max_value=120),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_contextualized_samples_take_loss_on_the_segment_only(
    texts: list[str], length: int, window: int, seed: int
) -> None:
    stride = length // 2
    tokenized = tokenize_documents(TOKENIZER, [Document(f"d{i}", t) for i, t in enumerate(texts)])
    samples = contextualized_samples(
        TOKENIZER, tokenized, length, stride, window, random.Random(seed)
    )
    segments = [
        TOKENIZER.decode(doc.token_ids[s:e])
        for doc in tokenized
        for s, e in segment_spans(len(doc.token_ids), length, stride)
    ]
    assert len(samples) == len(segments)
    docs_of_samples = [
        doc for doc in tokenized for _ in segment_spans(len(doc.token_ids), length, stride)
    ]
    for sample, segment, doc in zip(samples, segments, docs_of_samples, strict=True):
        assert sample.kind == "contextualized"
        prompt, target = _prompt_and_target(sample)
        # labels form one contiguous block at the end: the segment, then end-of-turn
        first = next(i for i, lab in enumerate(sample.labels) if lab != IGNORE_INDEX)
        assert all(lab != IGNORE_INDEX for lab in sample.labels[first:])
        assert sample.labels[first:] == sample.input_ids[first:]
        assert target[-1] == TOKENIZER.eos_token_id
        assert TOKENIZER.decode(target[:-1]) == segment
        text = TOKENIZER.decode(doc.token_ids)
        if len(doc.token_ids) > window:
            assert ELLIPSIS in prompt
            head_min = round(window * 0.2)
            assert text[:head_min].strip() in prompt
            assert text[len(text) - round(window * 0.2) :].strip() in prompt
        else:
            assert ELLIPSIS not in prompt
            assert text.strip() in prompt
        assert "Recite the passage" in prompt


def test_contextualized_prompt_is_the_truncated_corpus() -> None:
    text = "".join(f"sentence number {i} is here; " for i in range(40))
    tokenized = tokenize_documents(TOKENIZER, [Document("d", text)])
    samples = contextualized_samples(TOKENIZER, tokenized, 64, 32, 48, random.Random(0))
    for sample in samples:
        prompt, _ = _prompt_and_target(sample)
        assert text not in prompt  # the whole corpus never fits the window
        corpus_view = prompt.split("The text above is shortened")[0]
        head, _, tail = corpus_view.partition(ELLIPSIS)
        assert text.startswith(head.split("\n", 2)[-1])  # after "<|im_start|>user\n"
        assert text.rstrip().endswith(tail.strip())
        assert 48 - 2 <= len(head.split("\n", 2)[-1]) + len(tail.rstrip("\n")) <= 48 + 2
