"""Property and fuzz tests (hypothesis) that fill gaps next to the existing ones.

Already covered elsewhere: span coverage/overlap/count (test_segments.py), name escapes and
manifest JSON/store round trips (test_store_names.py), QA parsing of plain random text
(test_qa_parsing.py), batch packing (test_train.py). Here: segments rebuilt from real tokenizer
output and the CLI's segment count; names as Chroma collections; damaged manifests and adapters
never raise anything but CorruptMemory; QA parsing of structured noise gives well-formed pairs;
qa.jsonl round trips.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lift_memory_cli.core.ingesting import count_segments

from lift_memory.errors import CorruptMemory, InvalidMemoryName
from lift_memory.manifest import Manifest
from lift_memory.names import validate_memory_name
from lift_memory.qa.base import QAPair
from lift_memory.qa.jsonl_io import read_qa_jsonl, write_qa_jsonl
from lift_memory.qa.parsing import parse_qa_output, question_key
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.store import MemoryStore
from lift_memory.tiny import byte_tokenizer

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENIZER = byte_tokenizer()
FINGERPRINT = "f" * 16

name_like = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True).filter(
    lambda n: ".." not in n
)


# --------------------------------------------------------------------------- segmentation


@st.composite
def corpus_and_geometry(draw) -> tuple[list[str], int, int]:
    texts = draw(st.lists(st.text(max_size=400), min_size=1, max_size=3))
    length = draw(st.integers(16, 96))
    stride = draw(st.integers(1, length - 1))
    return texts, length, stride


@FAST
@given(corpus_and_geometry())
def test_segments_rebuild_each_document_and_match_the_cli_count(case) -> None:
    texts, length, stride = case
    tokenized = tokenize_documents(TOKENIZER, [Document(f"d{i}", t) for i, t in enumerate(texts)])
    samples = segment_samples(tokenized, length, stride)
    # the CLI announces this count before training; it must be what the engine trains on
    assert count_segments([len(d.token_ids) for d in tokenized], length, stride) == len(samples)
    remaining = iter(samples)
    for document in tokenized:
        rebuilt: list[int] = []
        while len(rebuilt) < len(document.token_ids):
            sample = next(remaining)
            assert sample.labels == sample.input_ids and 1 <= len(sample.input_ids) <= length
            if rebuilt:  # consecutive segments share exactly length - stride tokens
                assert rebuilt[-(length - stride) :] == sample.input_ids[: length - stride]
                rebuilt += sample.input_ids[length - stride :]
            else:
                rebuilt = list(sample.input_ids)
        assert rebuilt == document.token_ids
    assert next(remaining, None) is None


# --------------------------------------------------------------------------- names

# Chroma's collection-name rules: 3-512 of [A-Za-z0-9._-], alphanumeric at both ends, no "..",
# not an IPv4 address.
_CHROMA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]")


@FAST
@given(st.lists(name_like, min_size=1, max_size=5, unique=True))
def test_every_valid_name_is_a_manifest_name_and_a_chroma_collection(names) -> None:
    from llama_index.memory.lift.retrieval import collection_name_for

    collections = {collection_name_for(name) for name in names}
    assert len(collections) == len(names)  # distinct memories never share a collection
    for name in names:
        assert validate_memory_name(name) == name
        collection = collection_name_for(name)
        assert _CHROMA_NAME.fullmatch(collection) and ".." not in collection
        assert not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", collection)
        manifest = Manifest(
            name=name, base_model="m", base_fingerprint=FINGERPRINT, adapter_kind="gated_memory"
        )
        assert manifest.name == name


@FAST
@given(st.text(max_size=80))
def test_manifest_and_store_accept_exactly_the_valid_names(name) -> None:
    try:
        validate_memory_name(name)
        valid = True
    except InvalidMemoryName:
        valid = False
    try:
        Manifest(name=name, base_model="m", base_fingerprint="f", adapter_kind="gated_memory")
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == valid


# --------------------------------------------------------------------------- damaged files


def _fresh_store() -> MemoryStore:
    store = MemoryStore(Path(tempfile.mkdtemp(prefix="lift-prop-")))
    store.create(
        "doc",
        Manifest(
            name="doc", base_model="m", base_fingerprint=FINGERPRINT, adapter_kind="gated_memory"
        ),
    )
    store.save_adapter("doc", {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)})
    manifest = store.read_manifest("doc")
    store.write_manifest(manifest.model_copy(update={"status": "complete"}))
    return store


STORE = _fresh_store()
MANIFEST = json.loads(STORE.manifest_path("doc").read_bytes())
ADAPTER = STORE.adapter_path("doc").read_bytes()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


@FAST
@given(
    st.lists(
        st.tuples(st.sampled_from([*MANIFEST, "unexpected"]), st.booleans(), json_values),
        min_size=1,
        max_size=3,
    )
)
def test_a_mangled_manifest_is_read_or_refused_in_one_line(edits) -> None:
    mangled = dict(MANIFEST)
    for key, delete, value in edits:
        if delete:
            mangled.pop(key, None)
        else:
            mangled[key] = value
    STORE.manifest_path("doc").write_text(json.dumps(mangled))
    try:
        manifest = STORE.read_manifest("doc")
    except CorruptMemory as error:
        assert "\n" not in str(error) and "doc" in str(error)
        assert [p.name for p in STORE.list_problems()] == ["doc"] and STORE.list() == []
    else:  # whatever was accepted is a valid manifest that survives a round trip
        assert Manifest.model_validate_json(manifest.model_dump_json()) == manifest
    finally:
        STORE.manifest_path("doc").write_text(json.dumps(MANIFEST))


@st.composite
def damaged_adapters(draw) -> bytes:
    data = bytearray(ADAPTER)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite-header"]))
        if kind == "flip" and data:
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[: min(8, len(data))] = draw(st.binary(min_size=8, max_size=8))[: min(8, len(data))]
    return bytes(data)


@FAST
@given(damaged_adapters())
def test_a_damaged_adapter_is_refused_as_corrupt(data) -> None:
    assume(data != ADAPTER)
    STORE.adapter_path("doc").write_bytes(data)
    try:
        with pytest.raises(CorruptMemory) as caught:
            STORE.load_adapter("doc", FINGERPRINT)
        assert "\n" not in str(caught.value)
    finally:
        STORE.adapter_path("doc").write_bytes(ADAPTER)


# --------------------------------------------------------------------------- QA parsing

CORPUS = (
    "Ilse Marrick keeps the lighthouse on Varrow Point. A storm broke the lens in 1887.\n"
    "The new lens came from Glasgow in 1889, and 412 ships passed the reef that year."
)
_labels = st.sampled_from(["Q:", "A:", "E:", "Question:", "Answer 2:", "- **Evidence:**", "3. q:"])
_evidence = st.builds(
    lambda a, b: CORPUS[min(a, b) : max(a, b)],
    st.integers(0, len(CORPUS)),
    st.integers(0, len(CORPUS)),
)
_value = st.one_of(
    st.text(max_size=30), _evidence, st.integers(), st.none(), st.lists(st.text(max_size=5))
)
_record = st.dictionaries(
    st.sampled_from(["question", "q", "answer", "a", "short_answer", "evidence", "quote", "x"]),
    _value,
    max_size=4,
)
_pieces = st.one_of(
    st.builds(
        lambda label, text: f"{label} {text}", _labels, st.one_of(st.text(max_size=40), _evidence)
    ),
    st.builds(json.dumps, st.lists(_record, max_size=3)),
    st.builds(
        lambda r: "```json\n" + json.dumps({"qa_pairs": r}) + "\n```", st.lists(_record, max_size=3)
    ),
    st.text(max_size=40),
    st.just("{[{]"),
)


@FAST
@given(st.lists(_pieces, max_size=8), st.sampled_from(["\n", "\n\n", " "]))
def test_qa_parsing_of_structured_noise_gives_well_formed_pairs(pieces, separator) -> None:
    raw = separator.join(pieces)
    pairs = parse_qa_output(raw, CORPUS, "noise")
    assert pairs == parse_qa_output(raw, CORPUS, "noise")  # deterministic
    keys = [question_key(p.question) for p in pairs]
    assert len(keys) == len(set(keys)) and all(keys)  # no duplicate questions
    for pair in pairs:
        assert isinstance(pair, QAPair) and pair.source == "noise"
        assert pair.question.strip() and pair.answer.strip()
        assert pair.answer == pair.answer.strip() and "\n" not in pair.answer
        assert pair.evidence and pair.evidence in CORPUS  # verbatim, never invented


@FAST
@given(
    st.lists(
        st.builds(
            QAPair,
            question=st.text(min_size=1, max_size=30).filter(str.strip),
            answer=st.text(min_size=1, max_size=30).filter(str.strip),
            evidence=st.text(max_size=30),
            source=st.text(max_size=10),
        ),
        max_size=5,
    )
)
def test_qa_jsonl_round_trip(pairs) -> None:
    path = Path(tempfile.mkdtemp(prefix="lift-qa-")) / "qa.jsonl"
    write_qa_jsonl(path, pairs)
    assert read_qa_jsonl(path) == pairs
    assert [p.name for p in path.parent.iterdir()] == ["qa.jsonl"]  # no temp file left
