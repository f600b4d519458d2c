"""Split a long text into prompt-sized chunks and share a QA budget across them.

LLM generators see one chunk per request (a short-context model cannot read the corpus at once);
sharing ``n`` evenly keeps the questions spread over the whole corpus instead of its beginning.
"""

from __future__ import annotations

from collections.abc import Callable

from lift_memory.qa.base import QAPair
from lift_memory.qa.parsing import question_key
from lift_memory.qa.sentences import sentence_spans


def split_into_chunks(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into verbatim chunks of about ``max_chars``, at sentence boundaries if possible.

    A single sentence longer than ``max_chars`` is cut at whitespace (or hard, as a last resort).
    """
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    chunks: list[str] = []
    chunk_start: int | None = None
    chunk_end = 0
    for start, end in sentence_spans(text):
        if chunk_start is not None and end - chunk_start > max_chars:
            chunks.append(text[chunk_start:chunk_end])
            chunk_start = None
        if end - start > max_chars:
            chunks.extend(_cut_long(text[start:end], max_chars))
            continue
        if chunk_start is None:
            chunk_start = start
        chunk_end = end
    if chunk_start is not None:
        chunks.append(text[chunk_start:chunk_end])
    return chunks


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        cut = rest.rfind(" ", 0, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return [piece for piece in pieces if piece]


def share_counts(n: int, chunks: int) -> list[int]:
    """How many pairs to ask of each chunk so that the shares sum to ``n`` and stay spread out.

    With fewer pairs than chunks, the pairs go to evenly spaced chunks (not the first ``n``).
    """
    if chunks <= 0 or n <= 0:
        return [0] * max(chunks, 0)
    if n >= chunks:
        base, extra = divmod(n, chunks)
        return [base + (1 if i < extra else 0) for i in range(chunks)]
    shares = [0] * chunks
    for i in range(n):
        shares[(2 * i + 1) * chunks // (2 * n)] = 1
    return shares


def over_ask(share: int) -> int:
    """How many pairs to request for a share: a few extra, since unverifiable ones get dropped."""
    return share + max(1, share // 4) if share > 0 else 0


def collect_over_chunks(
    text: str,
    n: int,
    max_chars: int,
    ask: Callable[[str, int], list[QAPair]],
) -> list[QAPair]:
    """Ask ``ask(chunk, k)`` for each chunk's share of ``n``; merge without duplicate questions.

    Each chunk first contributes up to its share (so coverage stays even); surplus pairs then
    fill whatever the other chunks failed to deliver.
    """
    if n <= 0 or not text.strip():
        return []
    chunks = split_into_chunks(text, max_chars)
    shares = share_counts(n, len(chunks))
    results = [
        ask(chunk, over_ask(share)) if share else []
        for chunk, share in zip(chunks, shares, strict=True)
    ]
    chosen: list[QAPair] = []
    seen: set[str] = set()
    leftovers: list[QAPair] = []
    for share, pairs in zip(shares, results, strict=True):
        taken = 0
        for pair in pairs:
            key = question_key(pair.question)
            if key in seen:
                continue
            if taken < share:
                seen.add(key)
                chosen.append(pair)
                taken += 1
            else:
                leftovers.append(pair)
    for pair in leftovers:
        if len(chosen) >= n:
            break
        key = question_key(pair.question)
        if key not in seen:
            seen.add(key)
            chosen.append(pair)
    return chosen[:n]
