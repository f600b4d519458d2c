"""The on-disk memory store: lifecycle, atomic writes, adapter integrity, locking."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from lift_memory import atomic
from lift_memory.atomic import (
    atomic_save_safetensors,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)
from lift_memory.errors import (
    AdapterMismatch,
    CorruptMemory,
    InvalidMemoryName,
    MemoryIncomplete,
    MemoryLocked,
    UnknownMemory,
)
from lift_memory.manifest import DocumentRecord, Manifest
from lift_memory.store import (
    ADAPTER_FILE,
    MANIFEST_FILE,
    MemoryExists,
    MemoryStore,
    default_home,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
FP = "f" * 64


def make_manifest(name: str, **overrides: object) -> Manifest:
    fields: dict[str, object] = {
        "name": name,
        "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "base_fingerprint": FP,
        "adapter_kind": "gated_memory",
        "config": {"segment_length": 256, "segment_stride": 128},
        "documents": [DocumentRecord(source="a.txt", sha256="a" * 64, chars=10, tokens=3)],
    }
    fields.update(overrides)
    return Manifest(**fields)


def tiny_tensors() -> dict[str, torch.Tensor]:
    return {
        "layers.0.w1": torch.arange(12, dtype=torch.float32).reshape(3, 4),
        "layers.0.b": torch.tensor([0.5, -1.0]),
    }


def complete_memory(store: MemoryStore, name: str = "doc") -> Manifest:
    """A memory with an adapter, marked complete, the way an ingest leaves it."""
    manifest = store.create(name, make_manifest(name))
    nbytes = store.save_adapter(name, tiny_tensors())
    return store.write_manifest(
        manifest.model_copy(update={"status": "complete", "adapter_bytes": nbytes})
    )


@pytest.fixture
def store(tmp_path: Path) -> MemoryStore:
    return MemoryStore(tmp_path / "home")


# --------------------------------------------------------------------------- home and paths


def test_default_home_env_and_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIFT_MEMORY_HOME", str(tmp_path / "h"))
    assert default_home() == tmp_path / "h"
    assert MemoryStore().memories_dir == tmp_path / "h" / "memories"
    monkeypatch.delenv("LIFT_MEMORY_HOME")
    assert default_home() == Path.home() / ".lift-memory"


def test_paths_live_in_the_memory_dir(store: MemoryStore) -> None:
    base = store.memories_dir / "doc"
    assert store.path("doc") == base
    assert store.qa_path("doc").parent == base
    assert store.chroma_dir("doc").parent == base
    assert store.checkpoint_dir("doc").parent == base
    with pytest.raises(InvalidMemoryName):
        store.path("../escape")


# --------------------------------------------------------------------------- lifecycle


def test_create_list_read_delete(store: MemoryStore) -> None:
    assert store.list() == []  # no home yet: empty, no error
    created = store.create("beta", make_manifest("beta", status="complete"))
    store.create("alpha", make_manifest("alpha"))
    assert created.status == "incomplete"  # nothing trained yet, whatever was passed
    assert store.exists("alpha") and store.exists("beta")
    assert [m.name for m in store.list()] == ["alpha", "beta"]
    assert store.read_manifest("beta") == created
    assert json.loads((store.path("beta") / MANIFEST_FILE).read_text())["name"] == "beta"

    store.delete("alpha")
    assert not store.exists("alpha")
    assert [m.name for m in store.list()] == ["beta"]
    assert store.list_problems() == []
    assert sorted(os.listdir(store.memories_dir)) == ["beta"]  # no tombstone left behind


def test_create_refuses_existing_unless_overwrite(store: MemoryStore) -> None:
    complete_memory(store, "doc")
    with pytest.raises(MemoryExists, match="already exists"):
        store.create("doc", make_manifest("doc"))
    fresh = store.create("doc", make_manifest("doc", qa_count=7), overwrite=True)
    assert fresh.qa_count == 7 and fresh.status == "incomplete"
    assert not store.adapter_path("doc").exists()  # old files went with the old memory
    assert sorted(os.listdir(store.memories_dir)) == ["doc"]


def test_create_rejects_a_manifest_for_another_name(store: MemoryStore) -> None:
    with pytest.raises(ValueError, match="not 'doc'"):
        store.create("doc", make_manifest("other"))
    assert not store.exists("doc")


def test_unknown_memory_says_how_to_list(store: MemoryStore) -> None:
    for call in (store.read_manifest, store.delete, store.load_adapter):
        with pytest.raises(UnknownMemory, match="run `lift-memory ls`") as info:
            call("nope")
        assert isinstance(info.value, KeyError)
        assert "\n" not in str(info.value)
    with pytest.raises(UnknownMemory):
        store.write_manifest(make_manifest("nope"))


def test_write_manifest_updates_timestamp_and_guards_complete(store: MemoryStore) -> None:
    created = store.create("doc", make_manifest("doc"))
    with pytest.raises(ValueError, match="save_adapter"):
        store.write_manifest(created.model_copy(update={"status": "complete"}))
    assert store.read_manifest("doc").status == "incomplete"
    updated = store.write_manifest(created.model_copy(update={"qa_count": 3}))
    assert updated.updated_at >= created.updated_at
    assert updated.created_at == created.created_at
    assert store.read_manifest("doc").qa_count == 3


def test_write_manifest_revalidates_mutated_nested_fields(store: MemoryStore) -> None:
    manifest = store.create("doc", make_manifest("doc"))
    manifest.documents.append({"source": "x"})  # type: ignore[arg-type]  # escapes assignment checks
    with pytest.raises(ValueError):
        store.write_manifest(manifest)
    assert len(store.read_manifest("doc").documents) == 1  # the good manifest is untouched


def test_nan_metrics_round_trip_as_standard_json(store: MemoryStore) -> None:
    manifest = store.create("doc", make_manifest("doc"))
    store.write_manifest(manifest.model_copy(update={"metrics": {"loss": math.nan, "acc": 0.5}}))
    text = (store.path("doc") / MANIFEST_FILE).read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    metrics = store.read_manifest("doc").metrics
    assert math.isnan(metrics["loss"]) and metrics["acc"] == 0.5


# --------------------------------------------------------------------------- corrupt manifests


def _rewrite_manifest(store: MemoryStore, memory: str, changes: dict[str, object]) -> None:
    path = store.path(memory) / MANIFEST_FILE
    obj = json.loads(path.read_text())
    obj.update(changes)
    path.write_text(json.dumps(obj))


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"qa_count": "3"}, "qa_count"),
        ({"qa_count": 3.0}, "qa_count"),
        ({"status": "done"}, "status"),
        ({"documents": [{"source": "a", "sha256": "xyz", "chars": 1, "tokens": 1}]}, "sha256"),
        ({"unexpected": 1}, "unexpected"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"name": "other"}, "holds the manifest of 'other'"),
    ],
)
def test_wrong_typed_manifest_is_corrupt_and_isolated(
    store: MemoryStore, changes: dict[str, object], needle: str
) -> None:
    complete_memory(store, "bad")
    complete_memory(store, "good")
    _rewrite_manifest(store, "bad", changes)
    with pytest.raises(CorruptMemory, match="lift-memory rm bad") as info:
        store.read_manifest("bad")
    assert needle in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(CorruptMemory):
        store.load_adapter("bad")
    # Other memories are unaffected; listing never raises.
    assert [m.name for m in store.list()] == ["good"]
    assert [p.name for p in store.list_problems()] == ["bad"]
    store.load_adapter("good", FP)
    store.delete("bad")  # a corrupt memory can still be removed
    assert store.list_problems() == []


def test_unparsable_or_missing_manifest_is_corrupt(store: MemoryStore) -> None:
    store.create("doc", make_manifest("doc"))
    (store.path("doc") / MANIFEST_FILE).write_bytes(b'{"name": "doc", ')
    with pytest.raises(CorruptMemory, match="not valid JSON"):
        store.read_manifest("doc")
    (store.path("doc") / MANIFEST_FILE).unlink()
    with pytest.raises(CorruptMemory, match="no manifest.json"):
        store.read_manifest("doc")


def test_newer_format_asks_for_an_upgrade(store: MemoryStore) -> None:
    store.create("doc", make_manifest("doc"))
    _rewrite_manifest(store, "doc", {"format_version": 2, "new_field": True})
    with pytest.raises(CorruptMemory, match="upgrade lift-memory"):
        store.read_manifest("doc")


def test_list_skips_hidden_and_reports_foreign_dirs(store: MemoryStore) -> None:
    store.create("doc", make_manifest("doc"))
    (store.memories_dir / ".staging-x-123").mkdir()
    (store.memories_dir / ".deleted-y-456").mkdir()
    (store.memories_dir / "stray-file").write_text("x")
    (store.memories_dir / "empty").mkdir()
    assert [m.name for m in store.list()] == ["doc"]
    assert [p.name for p in store.list_problems()] == ["empty"]


# --------------------------------------------------------------------------- atomic writes


def test_atomic_writes_leave_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    for i in range(5):
        assert atomic_write_bytes(target, bytes([i]) * 10) == 10
    atomic_write_text(tmp_path / "t.txt", "héllo")
    atomic_write_json(tmp_path / "j.json", {"a": [1, 2]})
    atomic_save_safetensors(tmp_path / "w.safetensors", {"x": torch.ones(2, 3).t()}, {"k": "v"})
    assert sorted(os.listdir(tmp_path)) == ["f.bin", "j.json", "t.txt", "w.safetensors"]
    assert target.read_bytes() == bytes([4]) * 10
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "héllo"
    assert json.loads((tmp_path / "j.json").read_text()) == {"a": [1, 2]}


def test_failed_atomic_write_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_atomic_write_json_refuses_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "j.json", {"x": math.nan})
    assert os.listdir(tmp_path) == []


def test_store_writes_leave_no_temp_files(store: MemoryStore) -> None:
    complete_memory(store, "doc")
    store.save_adapter("doc", tiny_tensors())
    assert sorted(os.listdir(store.path("doc"))) == [ADAPTER_FILE, MANIFEST_FILE]


# --------------------------------------------------------------------------- adapters


def test_adapter_round_trip(store: MemoryStore) -> None:
    manifest = complete_memory(store, "doc")
    assert manifest.adapter_bytes == store.adapter_path("doc").stat().st_size
    store.save_adapter("doc", {"w": torch.arange(6.0).reshape(2, 3).t()}, {"step": "10"})
    tensors, meta = store.load_adapter("doc", FP)
    assert torch.equal(tensors["w"], torch.arange(6.0).reshape(2, 3).t())
    assert meta["step"] == "10" and meta["base_fingerprint"] == FP
    assert meta["base_model"] == manifest.base_model and meta["adapter_kind"] == "gated_memory"
    assert not any(key.startswith("lift_memory.") for key in meta)  # the checksum is internal
    assert store.load_adapter("doc")[0].keys() == {"w"}  # no fingerprint given: no check


def _damage(store: MemoryStore, name: str, edit) -> None:  # type: ignore[no-untyped-def]
    path = store.adapter_path(name)
    path.write_bytes(edit(path.read_bytes()))


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda b: b[:-7], id="truncated-data"),
        pytest.param(lambda b: b[:20], id="truncated-header"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b[:-1] + bytes([b[-1] ^ 0x01]), id="flipped-weight-bit"),
        pytest.param(lambda b: b.replace(FP.encode(), b"e" * 64), id="tampered-metadata"),
        pytest.param(lambda b: b"\xff" * 8 + b[8:], id="bad-header-length"),
        pytest.param(lambda b: b[:8] + b"[" + b[9:], id="bad-header-json"),
    ],
)
def test_damaged_adapter_is_corrupt(store: MemoryStore, edit) -> None:  # type: ignore[no-untyped-def]
    complete_memory(store, "doc")
    _damage(store, "doc", edit)
    with pytest.raises(CorruptMemory, match="lift-memory rm doc") as info:
        store.load_adapter("doc", FP)
    assert "\n" not in str(info.value)


def test_adapter_without_store_checksum_is_refused(store: MemoryStore) -> None:
    complete_memory(store, "doc")
    atomic_save_safetensors(store.adapter_path("doc"), tiny_tensors(), {"base_fingerprint": FP})
    with pytest.raises(CorruptMemory, match="checksum"):
        store.load_adapter("doc", FP)


def test_missing_adapter_on_complete_memory_is_corrupt(store: MemoryStore) -> None:
    complete_memory(store, "doc")
    store.adapter_path("doc").unlink()
    with pytest.raises(CorruptMemory, match="no adapter.safetensors"):
        store.load_adapter("doc")


def test_fingerprint_mismatch(store: MemoryStore) -> None:
    complete_memory(store, "doc")
    with pytest.raises(AdapterMismatch) as info:
        store.load_adapter("doc", "0" * 64, base_model="google/gemma-3-270m")
    message = str(info.value)
    assert "HuggingFaceTB/SmolLM2-135M-Instruct" in message
    assert "google/gemma-3-270m" in message and "\n" not in message


def test_save_adapter_refuses_a_foreign_fingerprint(store: MemoryStore) -> None:
    store.create("doc", make_manifest("doc"))
    with pytest.raises(AdapterMismatch):
        store.save_adapter("doc", tiny_tensors(), {"base_fingerprint": "0" * 64})
    assert not store.adapter_path("doc").exists()


def test_incomplete_memory(store: MemoryStore) -> None:
    store.create("doc", make_manifest("doc"))
    store.save_adapter("doc", tiny_tensors())
    with pytest.raises(MemoryIncomplete) as info:
        store.load_adapter("doc", FP)
    assert str(info.value) == (
        "memory 'doc' did not finish ingesting; run `lift-memory ingest ... --name doc --resume`"
    )
    tensors, _ = store.load_adapter("doc", FP, allow_incomplete=True)
    assert tensors.keys() == tiny_tensors().keys()


# --------------------------------------------------------------------------- locking

_CHILD = textwrap.dedent(
    """
    import sys
    from lift_memory.errors import MemoryLocked
    from lift_memory.store import MemoryStore

    store = MemoryStore(sys.argv[1])
    if sys.argv[2] == "try":
        try:
            with store.lock("doc"):
                print("acquired", flush=True)
        except MemoryLocked as exc:
            print("locked:", exc, flush=True)
    else:  # hold the lock until told to let go
        with store.lock("doc"):
            print("holding", flush=True)
            sys.stdin.readline()
    """
)


def _child(store: MemoryStore, mode: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-c", _CHILD, str(store.home), mode],
        cwd=REPO_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        **kwargs,
    )


def test_lock_refused_from_another_process(store: MemoryStore) -> None:
    with store.lock("doc"):
        out, _ = _child(store, "try").communicate(timeout=60)
        assert out.strip() == (
            f"locked: memory 'doc' is being ingested by another process (pid {os.getpid()}); "
            "wait for it to finish or stop that process"
        )
        # In-process, the store's own operations work under the caller's lock.
        store.create("doc", make_manifest("doc"))
        with pytest.raises(MemoryLocked, match="this process"), store.lock("doc"):
            pass
    out, _ = _child(store, "try").communicate(timeout=60)
    assert out.strip() == "acquired"


def test_locked_memory_cannot_be_deleted_or_replaced(store: MemoryStore) -> None:
    store.create("doc", make_manifest("doc"))
    holder = _child(store, "hold", stdin=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(MemoryLocked, match=f"pid {holder.pid}"), store.lock("doc"):
            pass
        with pytest.raises(MemoryLocked):
            store.delete("doc")
        with pytest.raises(MemoryLocked):
            store.create("doc", make_manifest("doc"), overwrite=True)
        assert store.exists("doc")
    finally:
        holder.communicate("\n", timeout=60)
    store.delete("doc")  # released when the holder let go
    assert not store.exists("doc")
