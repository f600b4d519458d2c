"""Property tests: memory names cannot escape the store; manifests survive a round trip."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lift_memory.errors import InvalidMemoryName
from lift_memory.manifest import DocumentRecord, Manifest
from lift_memory.names import validate_memory_name
from lift_memory.store import MemoryStore

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

name_like = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True)
any_text = st.text(
    alphabet=st.sampled_from(list("aZ09._-/\\\x00 \n:~") + ["é", "\u202e"]), max_size=80
)


@FAST
@given(st.one_of(name_like, any_text, st.text(max_size=70)))
def test_accepted_names_stay_inside_the_store(name: str) -> None:
    root = Path(tempfile.gettempdir()) / "lift-store-prop" / "memories"
    try:
        validate_memory_name(name)
    except InvalidMemoryName as exc:
        assert "\n" not in str(exc)
        return
    assert not name.startswith(".")  # hidden entries are reserved for staging/tombstones
    joined = (root / name).resolve()
    assert joined.parent == root.resolve()
    assert joined.name == name


@FAST
@given(name_like.filter(lambda n: ".." not in n))
def test_well_formed_names_are_accepted(name: str) -> None:
    assert validate_memory_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "x/../../y",
        "/abs",
        "/etc/passwd",
        "a/b",
        "a\\b",
        "a\x00b",
        "a" * 300,
        "a" * 65,
        ".",
        "..",
        "a..b",
        "",
        ".hidden",
        "-flag",
        "name\n",
        "with space",
        "~",
        "é",
    ],
)
def test_malicious_names_are_rejected(name: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidMemoryName) as info:
        validate_memory_name(name)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value) and len(str(info.value)) < 250
    store = MemoryStore(tmp_path)
    for call in (store.path, store.exists, store.read_manifest, store.delete):
        with pytest.raises(InvalidMemoryName):
            call(name)


def test_non_string_name_is_rejected() -> None:
    with pytest.raises(InvalidMemoryName):
        validate_memory_name(None)  # type: ignore[arg-type]


def test_longest_name_is_accepted() -> None:
    assert validate_memory_name("a" * 64) == "a" * 64


# --------------------------------------------------------------------------- manifests

finite = st.floats(allow_nan=False, allow_infinity=False)
short_text = st.text(max_size=20)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), finite, short_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short_text, inner, max_size=3),
    max_leaves=8,
)
documents = st.builds(
    DocumentRecord,
    source=short_text,
    sha256=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    chars=st.integers(0, 10**9),
    tokens=st.integers(0, 10**9),
)
manifests = st.builds(
    Manifest,
    name=name_like.filter(lambda n: ".." not in n),
    status=st.sampled_from(["incomplete", "complete"]),
    base_model=st.text(min_size=1, max_size=30),
    base_fingerprint=st.text(min_size=1, max_size=64),
    adapter_kind=st.sampled_from(["gated_memory", "lora", "pissa"]),
    config=st.dictionaries(short_text, json_values, max_size=4),
    documents=st.lists(documents, max_size=4),
    qa_count=st.integers(0, 10**6),
    metrics=st.dictionaries(short_text, finite, max_size=3),
    timings=st.dictionaries(short_text, finite, max_size=3),
    adapter_bytes=st.integers(0, 10**12),
    extra=st.dictionaries(short_text, json_values, max_size=3),
)


@FAST
@given(manifests)
def test_manifest_json_round_trip(manifest: Manifest) -> None:
    again = Manifest.model_validate_json(manifest.model_dump_json())
    assert again == manifest
    assert again.corpus_sha256() == manifest.corpus_sha256()


@settings(max_examples=25, deadline=None)
@given(manifests)
def test_manifest_store_round_trip(manifest: Manifest) -> None:
    with tempfile.TemporaryDirectory() as home:
        store = MemoryStore(home)
        written = store.create(manifest.name, manifest)
        assert store.read_manifest(manifest.name) == written
        expected = manifest.model_copy(
            update={
                "status": "incomplete",
                "created_at": written.created_at,
                "updated_at": written.updated_at,
            }
        )
        assert written == expected
        assert [m.name for m in store.list()] == [manifest.name]


def test_corpus_sha256_depends_on_order_not_sources() -> None:
    a = DocumentRecord(source="a.txt", sha256="a" * 64, chars=1, tokens=1)
    b = DocumentRecord(source="b.txt", sha256="b" * 64, chars=1, tokens=1)
    base = {"name": "m", "base_model": "x", "base_fingerprint": "y", "adapter_kind": "lora"}
    ab = Manifest(**base, documents=[a, b]).corpus_sha256()
    ba = Manifest(**base, documents=[b, a]).corpus_sha256()
    moved = Manifest(**base, documents=[a.model_copy(update={"source": "/new/a.txt"}), b])
    assert ab != ba
    assert moved.corpus_sha256() == ab
    assert len(ab) == 64
