"""On-disk memories (docs/design.md §4).

Layout::

    $LIFT_MEMORY_HOME/                 default ~/.lift-memory
        memories/<name>/manifest.json
        memories/<name>/adapter.safetensors
        memories/<name>/qa.jsonl, chroma/, checkpoints/
        memories/<name>/corpus.jsonl, retention.jsonl   read and written by memory_files.py
        locks/<name>.lock              outside the memory dir: usable before it exists, and
                                       never deleted along with it while someone holds it
        .staging/<name>/               a replacement of <name> being built (`ingest --overwrite`):
                                       a store of its own, swapped in when complete

Hidden entries in ``memories/`` (leading dot) are staging or tombstone directories; a valid
memory name can never start with a dot, so they never collide with memories.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lift_memory.atomic import (
    atomic_write_bytes,
    atomic_write_text,
    fsync_dir,
    remove_stale_temp_files,
)
from lift_memory.errors import (
    AdapterMismatch,
    CorruptMemory,
    LiftMemoryError,
    MemoryIncomplete,
    MemoryLocked,
    UnknownMemory,
)
from lift_memory.home import default_home
from lift_memory.manifest import FORMAT_VERSION, Manifest, utc_now_iso
from lift_memory.names import validate_memory_name
from lift_memory.phases import mark

if TYPE_CHECKING:  # keep `lift-memory ls` free of the torch import
    import torch

__all__ = [
    "ADAPTER_FILE",
    "MANIFEST_FILE",
    "MemoryExists",
    "MemoryStore",
    "StoreProblem",
    "default_home",
    "validate_memory_name",
]

MANIFEST_FILE = "manifest.json"
ADAPTER_FILE = "adapter.safetensors"
QA_FILE = "qa.jsonl"
CHROMA_DIR = "chroma"
CHECKPOINT_DIR = "checkpoints"

# Key in the adapter's safetensors metadata holding a SHA-256 over its header and tensor data.
# safetensors itself only catches structural damage; this catches flipped bytes in the weights.
CHECKSUM_KEY = "lift_memory.sha256"

_STAGING_PREFIX = ".staging-"
_TOMBSTONE_PREFIX = ".deleted-"
REPLACEMENTS_DIR = ".staging"  # under home: memories being rebuilt beside the live ones
_PARKED = "previous"  # the live memory during a two-rename swap (no atomic exchange)


class MemoryExists(LiftMemoryError, FileExistsError):
    """``create`` was asked for a name that is already taken."""


@dataclass(frozen=True)
class StoreProblem:
    """A directory in the store that could not be read as a memory."""

    name: str
    path: Path
    message: str


# Locks held by this process, by lock-file path. flock locks belong to an open file, so a second
# open+flock in the same process would refuse itself; this lets the store's own guarded
# operations (create/overwrite/delete) run inside a caller's `with store.lock(name):`.
_HELD_LOCKS: dict[str, int] = {}
_HELD_LOCKS_GUARD = threading.Lock()
# A forked child shares the parent's flock but does not own it: forget the parent's entries so
# the child's own attempts go through flock (and are refused while the parent holds it).
os.register_at_fork(after_in_child=_HELD_LOCKS.clear)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _validation_summary(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or "<root>"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return _one_line(f"{loc}: {first.get('msg', 'invalid')}{more}")


def _parse_safetensors_header(data: bytes) -> dict[str, Any]:
    """Parse the JSON header of a safetensors blob; raises ValueError when malformed."""
    if len(data) < 8:
        raise ValueError("file is shorter than a safetensors header")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise ValueError("header length points past the end of the file (truncated?)")
    try:
        header = json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"header is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise ValueError("metadata is not a string-to-string map")
    return header


def _safetensors_checksum(data: bytes) -> tuple[str, str | None]:
    """(computed checksum, stored checksum or None) of a safetensors blob.

    The hash covers the header (tensor names, dtypes, shapes, offsets and metadata, minus the
    checksum itself, canonically re-serialized) and the raw tensor bytes.
    """
    header = _parse_safetensors_header(data)
    (size,) = struct.unpack("<Q", data[:8])
    meta = dict(header.get("__metadata__", {}))
    stored = meta.pop(CHECKSUM_KEY, None)
    canonical = dict(header)
    canonical["__metadata__"] = meta
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode("utf-8"))
    digest.update(memoryview(data)[8 + size :])
    return digest.hexdigest(), stored


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories in one atomic step; False where the OS or filesystem cannot.

    Linux: ``renameat2(RENAME_EXCHANGE)``; macOS: ``renamex_np(RENAME_SWAP)``.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
            at_fdcwd, rename_exchange = -100, 2
            result = libc.renameat2(
                at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange
            )
        elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
            rename_swap = 2
            result = libc.renamex_np(os.fsencode(first), os.fsencode(second), rename_swap)
        else:
            return False
    except OSError:  # no C library to load
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # e.g. a filesystem without exchange support
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _created_at(store: MemoryStore, name: str) -> datetime | None:
    """When memory ``name`` of ``store`` was created; None if it has no readable manifest."""
    try:
        return datetime.fromisoformat(store.read_manifest(name).created_at)
    except (LiftMemoryError, ValueError):
        return None


def _serialize_with_checksum(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    from safetensors.torch import save

    prepared = {key: t.detach().to("cpu").contiguous() for key, t in tensors.items()}
    # The tensor layout is deterministic, so the checksum of a first pass without the key
    # equals that of the final file; verified below so we never write what we would reject.
    checksum, _ = _safetensors_checksum(save(prepared, metadata=metadata))
    data = save(prepared, metadata={**metadata, CHECKSUM_KEY: checksum})
    recomputed, stored = _safetensors_checksum(data)
    if recomputed != stored:  # pragma: no cover - would mean safetensors became nondeterministic
        raise RuntimeError("adapter checksum changed between serializations")
    return data


class MemoryStore:
    """A directory of named memories; every write is atomic (see ``lift_memory.atomic``)."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home: Path = Path(home).expanduser() if home is not None else default_home()
        self.memories_dir: Path = self.home / "memories"
        self.locks_dir: Path = self.home / "locks"

    def __repr__(self) -> str:
        return f"MemoryStore({str(self.home)!r})"

    # ----------------------------------------------------------------- paths

    def path(self, name: str) -> Path:
        """Directory of memory ``name`` (validated; may not exist)."""
        return self.memories_dir / validate_memory_name(name)

    def manifest_path(self, name: str) -> Path:
        return self.path(name) / MANIFEST_FILE

    def adapter_path(self, name: str) -> Path:
        return self.path(name) / ADAPTER_FILE

    def checkpoint_dir(self, name: str) -> Path:
        """Where an ingest keeps resumable checkpoints (not created here)."""
        return self.path(name) / CHECKPOINT_DIR

    def qa_path(self, name: str) -> Path:
        """The memory's auxiliary QA pairs, one JSON object per line."""
        return self.path(name) / QA_FILE

    def chroma_dir(self, name: str) -> Path:
        """Persistent Chroma directory for the RAG arm (not created here)."""
        return self.path(name) / CHROMA_DIR

    def exists(self, name: str) -> bool:
        """True if a directory for ``name`` exists, readable or not."""
        if not self.path(name).is_dir():
            self._unpark(name)
        return self.path(name).is_dir()

    # ----------------------------------------------------------------- manifests

    def create(self, name: str, manifest: Manifest, overwrite: bool = False) -> Manifest:
        """Create memory ``name`` with ``manifest`` (stored as status 'incomplete').

        The directory is built under a hidden staging name and renamed into place, so a memory
        directory always has a manifest. With ``overwrite`` an existing memory is replaced
        (its old files are deleted). Returns the manifest as written.
        """
        name = validate_memory_name(name)
        if manifest.name != name:
            raise ValueError(f"manifest is for memory {manifest.name!r}, not {name!r}")
        now = utc_now_iso()
        fresh = Manifest.model_validate(
            {
                **manifest.model_dump(),
                "status": "incomplete",  # nothing is trained yet, whatever the caller passed
                "created_at": now,
                "updated_at": now,
            }
        )
        self.memories_dir.mkdir(parents=True, exist_ok=True)
        with self._guard(name):
            self._remove_stale_staging(name)
            target = self.path(name)
            if target.exists() and not overwrite:
                raise MemoryExists(
                    f"memory '{name}' already exists; resume it with --resume, pick another "
                    f"--name, or delete it with `lift-memory rm {name}`"
                )
            staging = self.memories_dir / f"{_STAGING_PREFIX}{name}-{secrets.token_hex(6)}"
            staging.mkdir()
            tombstone: Path | None = None
            try:
                atomic_write_text(staging / MANIFEST_FILE, fresh.model_dump_json(indent=2) + "\n")
                if target.exists() or target.is_symlink():
                    tombstone = self._to_tombstone(target)
                os.rename(staging, target)
            except BaseException:
                if tombstone is not None and not target.exists():
                    os.rename(tombstone, target)  # put the old memory back
                shutil.rmtree(staging, ignore_errors=True)
                raise
            fsync_dir(self.memories_dir)
            if tombstone is not None:
                self._remove_tree(tombstone)
        return fresh

    def install(self, name: str, fill: Callable[[Path], None]) -> Manifest:
        """Create memory ``name`` from the files ``fill(directory)`` writes into an empty hidden
        directory, renamed into place once its manifest reads back (`lift-memory import`).

        Refuses a name that is taken; if ``fill`` fails, nothing is left behind.
        """
        name = validate_memory_name(name)
        self.memories_dir.mkdir(parents=True, exist_ok=True)
        with self._guard(name):
            self._remove_stale_staging(name)
            target = self.path(name)
            if target.exists() or target.is_symlink():
                raise MemoryExists(
                    f"memory '{name}' already exists; delete it with `lift-memory rm {name}` "
                    "first, or import into another --home"
                )
            staging = self.memories_dir / f"{_STAGING_PREFIX}{name}-{secrets.token_hex(6)}"
            staging.mkdir()
            try:
                fill(staging)
                try:
                    raw = (staging / MANIFEST_FILE).read_bytes()
                    manifest = Manifest.model_validate_json(raw)
                except (OSError, ValidationError) as exc:
                    raise CorruptMemory(f"memory '{name}' has no readable {MANIFEST_FILE}") from exc
                if manifest.name != name:
                    raise CorruptMemory(f"the files hold memory '{manifest.name}', not '{name}'")
                os.rename(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            fsync_dir(self.memories_dir)
        return self.read_manifest(name)

    def write_manifest(self, manifest: Manifest) -> Manifest:
        """Atomically replace the manifest of an existing memory; sets ``updated_at``.

        Returns the manifest as written (the argument is not modified). Refuses to mark a
        memory complete before its adapter is saved, so 'complete' always means loadable.
        """
        name = validate_memory_name(manifest.name)
        if not self.path(name).is_dir():
            raise self._unknown(name)
        # Round trip through JSON: a mutated manifest (nested lists/dicts escape
        # validate_assignment) must be readable back before it replaces a good one.
        updated = Manifest.model_validate_json(
            manifest.model_copy(update={"updated_at": utc_now_iso()}).model_dump_json(
                warnings=False
            )
        )
        if updated.status == "complete" and not self.adapter_path(name).is_file():
            raise ValueError(
                f"cannot mark memory '{name}' complete: save_adapter() has not written "
                f"{ADAPTER_FILE} yet"
            )
        atomic_write_text(self.manifest_path(name), updated.model_dump_json(indent=2) + "\n")
        return updated

    def read_manifest(self, name: str) -> Manifest:
        """The manifest of memory ``name``.

        Raises UnknownMemory if there is no such memory and CorruptMemory if its manifest is
        missing, not JSON, or fails the schema.
        """
        name = validate_memory_name(name)
        directory = self.path(name)
        if not directory.is_dir() and not self._unpark(name):
            raise self._unknown(name)
        fix = f"delete it with `lift-memory rm {name}` and ingest again"
        try:
            raw = (directory / MANIFEST_FILE).read_bytes()
        except FileNotFoundError:
            raise CorruptMemory(f"memory '{name}' has no {MANIFEST_FILE}; {fix}") from None
        except OSError as exc:
            raise CorruptMemory(
                f"memory '{name}': cannot read {MANIFEST_FILE} ({_one_line(exc.strerror or exc)})"
                f"; check its permissions"
            ) from None
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptMemory(
                f"memory '{name}' has a {MANIFEST_FILE} that is not valid JSON "
                f"({_one_line(exc)}); {fix}"
            ) from None
        try:
            manifest = Manifest.model_validate(obj)
        except ValidationError as exc:
            if (
                isinstance(obj, dict)
                and isinstance(obj.get("format_version"), int)
                and obj["format_version"] > FORMAT_VERSION
            ):
                raise CorruptMemory(
                    f"memory '{name}' was written by a newer lift-memory (format "
                    f"{obj['format_version']}, this one reads {FORMAT_VERSION}); upgrade lift-memory"
                ) from None
            raise CorruptMemory(
                f"memory '{name}' has an invalid {MANIFEST_FILE} ({_validation_summary(exc)}); {fix}"
            ) from None
        if manifest.name != name:
            raise CorruptMemory(
                f"memory directory '{name}' holds the manifest of '{manifest.name}'; rename the "
                f"directory back to '{manifest.name}' or {fix}"
            )
        return manifest

    def list(self) -> list[Manifest]:
        """Readable memories, sorted by name. Never raises for a bad memory: see list_problems."""
        return self._scan()[0]

    def list_problems(self) -> list[StoreProblem]:
        """Directories in the store that are not readable memories, sorted by name."""
        return self._scan()[1]

    def _scan(self) -> tuple[list[Manifest], list[StoreProblem]]:
        manifests: list[Manifest] = []
        problems: list[StoreProblem] = []
        with contextlib.suppress(OSError, LiftMemoryError):
            for replacement in os.scandir(self.home / REPLACEMENTS_DIR):
                if not (self.memories_dir / replacement.name).exists():
                    self._unpark(replacement.name)
        try:
            entries = sorted(os.scandir(self.memories_dir), key=lambda e: e.name)
        except FileNotFoundError:
            return manifests, problems
        for entry in entries:
            if entry.name.startswith("."):  # staging dirs, tombstones, temp files
                continue
            if not entry.is_dir():
                continue
            try:
                validate_memory_name(entry.name)
                manifests.append(self.read_manifest(entry.name))
            except LiftMemoryError as exc:
                problems.append(StoreProblem(entry.name, Path(entry.path), str(exc)))
        return manifests, problems

    # ----------------------------------------------------------------- deletion

    def delete(self, name: str) -> None:
        """Delete memory ``name`` (even a corrupt one); refused while another process holds it.

        The directory is first renamed to a hidden tombstone, so a crash mid-way never leaves a
        half-deleted memory visible; leftover tombstones are swept on later deletes.
        """
        name = validate_memory_name(name)
        target = self.path(name)
        if not target.exists() and not target.is_symlink():
            raise self._unknown(name)
        with self._guard(name):
            if not target.exists() and not target.is_symlink():  # lost a race with another rm
                raise self._unknown(name)
            tombstone = self._to_tombstone(target)
            fsync_dir(self.memories_dir)
            self._remove_tree(tombstone)
            self._remove_tree(self._replacement_home(name))  # a re-ingest of it, unfinished
        self._sweep_tombstones()

    def remove_leftovers(self, name: str) -> int:
        """Delete what writes killed mid-way (SIGKILL, power cut) left behind for ``name``.

        That is temp files in the memory's directory and its checkpoints, staging directories
        of an unfinished ``create``, the checkpoints of a memory that is already complete, and
        the previous memory a swap was killed before deleting (never a pending replacement);
        none of them is ever read, they only take space. Runs under the memory's lock (reused when this process holds it), so no write in
        progress loses its temp file. Returns how many entries were removed.
        """
        name = validate_memory_name(name)
        with self._guard(name):
            removed = self._remove_stale_staging(name)
            for directory in (self.path(name), self.checkpoint_dir(name)):
                removed += remove_stale_temp_files(directory)
            checkpoints = self.checkpoint_dir(name)
            if checkpoints.is_dir() and self._is_complete(name):
                # a kill between "complete" and the checkpoint cleanup: nothing will resume them
                shutil.rmtree(checkpoints, ignore_errors=True)
                removed += 1
            # the previous memory, if a swap was killed before deleting it (pending: kept)
            had_replacement = self._replacement_home(name).exists()
            if self.pending_replacement(name) is None and had_replacement:
                removed += 1
        return removed

    def _is_complete(self, name: str) -> bool:
        try:
            return self.read_manifest(name).status == "complete"
        except LiftMemoryError:
            return False

    def _remove_stale_staging(self, name: str) -> int:
        # Staging dirs of `name` are only made under its lock, which the caller holds.
        pattern = re.compile(re.escape(f"{_STAGING_PREFIX}{name}-") + r"[0-9a-f]{12}")
        removed = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.memories_dir):
                if pattern.fullmatch(entry.name):
                    self._remove_tree(Path(entry.path))
                    removed += 1
        return removed

    def _to_tombstone(self, target: Path) -> Path:
        tombstone = self.memories_dir / f"{_TOMBSTONE_PREFIX}{target.name}-{secrets.token_hex(6)}"
        os.rename(target, tombstone)
        return tombstone

    @staticmethod
    def _remove_tree(path: Path) -> None:
        if path.is_symlink() or path.is_file():  # never follow a link out of the store
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)

    def _sweep_tombstones(self) -> None:
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.memories_dir):
                if entry.name.startswith(_TOMBSTONE_PREFIX):
                    self._remove_tree(Path(entry.path))

    # ----------------------------------------------------------------- replacements

    def _replacement_home(self, name: str) -> Path:
        return self.home / REPLACEMENTS_DIR / validate_memory_name(name)

    def replacement_store(self, name: str) -> MemoryStore:
        """The store a replacement of memory ``name`` is built in (`ingest --overwrite`), beside
        the live memory, which keeps answering until :meth:`swap_in` puts the new one in place.

        A store of its own under ``home/.staging/<name>/`` (the same filesystem: the swap is a
        rename), holding a memory of the same name, so the engine ingests into it unchanged.
        """
        return MemoryStore(self._replacement_home(name))

    def pending_replacement(self, name: str) -> MemoryStore | None:
        """The store of an unfinished replacement of ``name`` (an interrupted or failed
        `ingest --overwrite`), or None. Call it holding the memory's lock, as an ingest does.

        A replacement is pending while it is newer than the live memory. Anything else in the
        staging area is what a swap killed before its cleanup left (the previous memory), or
        an attempt that never wrote its manifest, and is removed here.
        """
        name = validate_memory_name(name)
        home = self._replacement_home(name)
        if not home.exists():
            return None
        with self._guard(name):
            if not self.path(name).is_dir():
                self._unpark(name)
            staged = MemoryStore(home)
            if staged.path(name).is_dir():
                staged_at = _created_at(staged, name)
                live_at = _created_at(self, name)
                if staged_at is not None and (live_at is None or staged_at > live_at):
                    return staged
            self._remove_tree(home)
            with contextlib.suppress(OSError):  # only when no other replacement is under way
                home.parent.rmdir()
        return None

    def swap_in(self, name: str, staged: MemoryStore) -> None:
        """Put ``staged``'s complete memory ``name`` in place of the live one, atomically.

        Readers see the old memory or the new one, never neither: the two directories are
        exchanged in one rename (``renameat2(RENAME_EXCHANGE)``), and the previous memory is
        deleted afterwards. Where the filesystem cannot exchange, the live memory is parked in
        the staging area for the instant between two renames, and any reader that finds the
        name missing puts it back (``_unpark``).
        """
        name = validate_memory_name(name)
        source, target = staged.path(name), self.path(name)
        with self._guard(name):
            if staged.read_manifest(name).status != "complete":
                raise LiftMemoryError(f"the replacement of memory '{name}' is not complete")
            self.memories_dir.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.rename(source, target)
            elif not _exchange(source, target):
                parked = staged.home / _PARKED
                os.rename(target, parked)
                os.rename(source, target)
            fsync_dir(self.memories_dir)
            mark("swap:exchanged")
            # what is left in the staging area is the previous memory (or nothing)
            self._remove_tree(staged.home)
            with contextlib.suppress(OSError):  # only when no other replacement is under way
                (self.home / REPLACEMENTS_DIR).rmdir()

    def _unpark(self, name: str) -> bool:
        """Put back a live memory parked by a two-rename swap that was killed half-way."""
        parked = self._replacement_home(name) / _PARKED
        if not parked.is_dir():
            return False
        with contextlib.suppress(FileNotFoundError, FileExistsError, OSError):
            os.rename(parked, self.path(name))  # another reader may have done it already
        return self.path(name).is_dir()

    # ----------------------------------------------------------------- adapters

    def save_adapter(
        self,
        name: str,
        tensors: dict[str, torch.Tensor],
        metadata: dict[str, str] | None = None,
    ) -> int:
        """Atomically write the memory's ``adapter.safetensors``; returns the bytes written.

        The base model id, fingerprint and adapter kind from the manifest are recorded in the
        file's metadata (unless given) together with a checksum, so a load can refuse a foreign
        or damaged adapter. Weights only: safetensors, never pickle.
        """
        manifest = self.read_manifest(name)
        meta: dict[str, str] = {
            "format": "pt",
            "memory_name": manifest.name,
            "base_model": manifest.base_model,
            "base_fingerprint": manifest.base_fingerprint,
            "adapter_kind": manifest.adapter_kind,
        }
        for key, value in (metadata or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"adapter metadata must map str to str; got {key!r}: {value!r}")
            meta[key] = value
        meta.pop(CHECKSUM_KEY, None)  # ours to compute
        if meta["base_fingerprint"] != manifest.base_fingerprint:
            raise AdapterMismatch(
                f"adapter for memory '{manifest.name}' was trained on fingerprint "
                f"{meta['base_fingerprint'][:12]}, but the memory records "
                f"{manifest.base_fingerprint[:12]} ({manifest.base_model}); ingest it again "
                f"with the memory's base model"
            )
        data = _serialize_with_checksum(tensors, meta)
        return atomic_write_bytes(self.adapter_path(manifest.name), data)

    def load_adapter(
        self,
        name: str,
        base_fingerprint: str | None = None,
        *,
        base_model: str | None = None,
        allow_incomplete: bool = False,
    ) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
        """Load the memory's adapter tensors (on CPU) and metadata.

        ``base_fingerprint`` is the loaded base model's fingerprint; if given it must match the
        one the adapter was trained on (``base_model`` only improves the error message).
        Raises MemoryIncomplete for an unfinished ingest (unless ``allow_incomplete``),
        CorruptMemory for a missing, truncated or tampered file, AdapterMismatch for another
        base model.
        """
        manifest = self.read_manifest(name)
        name = manifest.name
        if manifest.status != "complete" and not allow_incomplete:
            raise MemoryIncomplete(
                f"memory '{name}' did not finish ingesting; run "
                f"`lift-memory ingest ... --name {name} --resume`"
            )
        fix = f"delete it with `lift-memory rm {name}` and ingest again"
        try:
            data = self.adapter_path(name).read_bytes()
        except FileNotFoundError:
            raise CorruptMemory(f"memory '{name}' has no {ADAPTER_FILE}; {fix}") from None
        except OSError as exc:
            raise CorruptMemory(
                f"memory '{name}': cannot read {ADAPTER_FILE} ({_one_line(exc.strerror or exc)})"
                f"; check its permissions"
            ) from None
        try:
            computed, stored = _safetensors_checksum(data)
        except ValueError as exc:
            raise CorruptMemory(
                f"memory '{name}' has a damaged {ADAPTER_FILE} ({_one_line(exc)}); {fix}"
            ) from None
        if stored is None:
            raise CorruptMemory(
                f"memory '{name}' has an {ADAPTER_FILE} without a lift-memory checksum "
                f"(not written by the store); {fix}"
            )
        if computed != stored:
            raise CorruptMemory(
                f"memory '{name}' has a tampered or damaged {ADAPTER_FILE} (checksum mismatch); "
                f"{fix}"
            )
        metadata = dict(_parse_safetensors_header(data).get("__metadata__", {}))
        metadata.pop(CHECKSUM_KEY, None)
        trained_fp = metadata.get("base_fingerprint", manifest.base_fingerprint)
        trained_model = metadata.get("base_model", manifest.base_model)
        if trained_fp != manifest.base_fingerprint:
            raise CorruptMemory(
                f"memory '{name}': {ADAPTER_FILE} and {MANIFEST_FILE} name different base models "
                f"({trained_fp[:12]} vs {manifest.base_fingerprint[:12]}); {fix}"
            )
        if base_fingerprint is not None and base_fingerprint != trained_fp:
            offered = f"'{base_model}' " if base_model else ""
            raise AdapterMismatch(
                f"memory '{name}' was trained on base model '{trained_model}' (fingerprint "
                f"{trained_fp[:12]}), but the loaded model {offered}has fingerprint "
                f"{base_fingerprint[:12]}; load it with --model {trained_model} or ingest "
                f"again with this model"
            )
        from safetensors.torch import load

        try:
            tensors = load(data)
        except Exception as exc:  # safetensors raises its own SafetensorError on bad layouts
            raise CorruptMemory(
                f"memory '{name}' has a damaged {ADAPTER_FILE} ({_one_line(exc)}); {fix}"
            ) from None
        return tensors, metadata

    # ----------------------------------------------------------------- locking

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold memory ``name`` exclusively (e.g. for an ingest); never waits.

        Raises MemoryLocked if another process (or another ``lock`` in this one) holds it.
        The lock is an ``fcntl.flock`` on ``home/locks/<name>.lock`` and dies with the process,
        so a crashed ingest never leaves a stale lock behind.
        """
        name = validate_memory_name(name)
        key, fd = self._acquire(name)
        try:
            yield
        finally:
            self._release(key, fd)

    @contextlib.contextmanager
    def _guard(self, name: str) -> Iterator[None]:
        # Store-internal exclusion for create/delete: reuse the caller's lock when this process
        # already holds it, otherwise take it for the duration.
        key = self._lock_key(name)
        with _HELD_LOCKS_GUARD:
            held = key in _HELD_LOCKS
        if held:
            yield
            return
        key, fd = self._acquire(name)
        try:
            yield
        finally:
            self._release(key, fd)

    def _lock_key(self, name: str) -> str:
        return os.path.abspath(self.locks_dir / f"{name}.lock")

    def _acquire(self, name: str) -> tuple[str, int]:
        key = self._lock_key(name)
        self.locks_dir.mkdir(parents=True, exist_ok=True)
        with _HELD_LOCKS_GUARD:
            if key in _HELD_LOCKS:
                raise MemoryLocked(
                    f"memory '{name}' is already held by this process (pid {os.getpid()}); "
                    f"wait for its ingest to finish"
                )
            # Lock files are never unlinked: deleting one while another process waits on it
            # would let two processes hold "the" lock on different inodes.
            fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                pid = f" (pid {holder})" if holder.isdigit() else ""
                raise MemoryLocked(
                    f"memory '{name}' is being ingested by another process{pid}; wait for it "
                    f"to finish or stop that process"
                ) from None
            # The pid is written in place, not via atomic.py: replacing the file would swap
            # the inode out from under the flock.
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            _HELD_LOCKS[key] = fd
        return key, fd

    @staticmethod
    def _release(key: str, fd: int) -> None:
        with _HELD_LOCKS_GUARD:
            _HELD_LOCKS.pop(key, None)
            try:
                os.ftruncate(fd, 0)  # clear the pid before another process can take the lock
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    # ----------------------------------------------------------------- helpers

    def _unknown(self, name: str) -> UnknownMemory:
        return UnknownMemory(
            f"no memory named '{name}' in {self.memories_dir}; run `lift-memory ls` to see "
            f"the memories"
        )
