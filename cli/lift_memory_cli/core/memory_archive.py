"""Portable memories: `lift-memory export NAME FILE.tar.gz` and `lift-memory import FILE`.

An archive is a gzipped tar of the memory's folder (``NAME/...``: manifest, adapter, corpus, QA
pairs, retention answers, the embedded Chroma arm; never checkpoints or temp files) and, first,
``lift-memory-archive.json``: the archive format, the memory's name, and the size and SHA-256
of every file. Files are stored as they are, so an import gives back the exported memory byte
for byte.

Import checks the whole archive before it writes anything: every member is a plain file or
folder under ``NAME/`` (no absolute path, no ``..``, no link or device) and exactly the listed
files are there; the one-line error names the first offending member. The files are then
extracted with tarfile's ``data`` filter into a hidden folder of the store, their checksums
verified, and the folder renamed into place (``MemoryStore.install``): an import that fails
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tarfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lift_memory.atomic import TEMP_SUFFIX, fsync_dir
from lift_memory.names import validate_memory_name
from lift_memory.store import CHECKPOINT_DIR
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.memories import read_complete_manifest
from lift_memory_cli.core.rag_arm import rag_info

if TYPE_CHECKING:
    from lift_memory.manifest import Manifest
    from lift_memory.store import MemoryStore

ARCHIVE_MANIFEST = "lift-memory-archive.json"
ARCHIVE_FORMAT = 1
_CHUNK = 1 << 20


class UnsafeArchive(ServiceError):
    """An archive that could write outside its memory's folder, or is not what it says."""


@dataclass(frozen=True)
class ArchiveFile:
    path: str
    """Inside the memory's folder, with '/' separators."""
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ArchiveResult:
    name: str
    archive: Path
    files: list[ArchiveFile]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "archive": str(self.archive),
            "files": len(self.files),
            "bytes": sum(f.bytes for f in self.files),
            "notes": self.notes,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _memory_files(folder: Path) -> list[Path]:
    """The memory's files to archive: no checkpoints, no temp files; a link is refused."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] == CHECKPOINT_DIR or path.name.endswith(TEMP_SUFFIX):
            continue
        if path.is_symlink():
            raise ServiceError(f"memory folder holds a link, which is not exported: {path}")
        if path.is_file():
            files.append(path)
    return files


def _arm_notes(manifest: Manifest) -> list[str]:
    info = rag_info(manifest)
    if info and info.get("url"):
        return [
            f"the retrieval arm lives on the Chroma server {info['url']} (collection "
            f"'{info.get('collection')}') and is not in the archive"
        ]
    return []


def export_memory(
    store: MemoryStore, name: str, destination: Path, *, force: bool = False
) -> ArchiveResult:
    """Write memory ``name`` (complete) to ``destination`` as a checksummed ``.tar.gz``."""
    manifest = read_complete_manifest(store, name)
    destination = destination.expanduser()
    if destination.exists() and not force:
        raise ServiceError(f"{destination} exists; pass --force to replace it")
    if destination.is_dir():
        raise ServiceError(f"{destination} is a folder; give the archive's file name")
    folder = store.path(name)
    tmp = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    with store.lock(name):  # no ingest rewrites it while it is read (MemoryLocked otherwise)
        paths = _memory_files(folder)
        files = [
            ArchiveFile(p.relative_to(folder).as_posix(), p.stat().st_size, _sha256(p))
            for p in paths
        ]
        index = {
            "format": ARCHIVE_FORMAT,
            "memory": name,
            "files": [f.__dict__ for f in files],
        }
        try:
            with tarfile.open(tmp, "w:gz") as tar:
                data = (json.dumps(index, indent=2) + "\n").encode()
                info = tarfile.TarInfo(ARCHIVE_MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
                tar.addfile(info, io.BytesIO(data))
                for path, entry in zip(paths, files, strict=True):
                    member = tar.gettarinfo(str(path), arcname=f"{name}/{entry.path}")
                    member.uid = member.gid = 0
                    member.uname = member.gname = ""
                    with path.open("rb") as handle:
                        tar.addfile(member, handle)
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, destination)
            fsync_dir(destination.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return ArchiveResult(name, destination, files, _arm_notes(manifest))


def _member_path(member: tarfile.TarInfo) -> PurePosixPath:
    """The member's path, refused if it is absolute, climbs with '..' or is not plain."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"refusing archive: member '{name}' has an absolute path")
    if ".." in path.parts or "\\" in name:
        raise UnsafeArchive(f"refusing archive: member '{name}' climbs out of its folder")
    if not (member.isfile() or member.isdir()):
        kind = "a link" if (member.issym() or member.islnk()) else "not a plain file or folder"
        raise UnsafeArchive(f"refusing archive: member '{name}' is {kind}")
    return path


def _read_index(tar: tarfile.TarFile, members: list[tarfile.TarInfo]) -> dict[str, Any]:
    entry = next((m for m in members if m.name == ARCHIVE_MANIFEST and m.isfile()), None)
    if entry is None:
        raise UnsafeArchive(
            f"not a lift-memory archive: it has no {ARCHIVE_MANIFEST} (make one with "
            "`lift-memory export NAME FILE.tar.gz`)"
        )
    handle = tar.extractfile(entry)
    try:
        index = json.loads(handle.read(1 << 24)) if handle else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        index = None
    if not isinstance(index, dict) or not isinstance(index.get("files"), list):
        raise UnsafeArchive(f"refusing archive: {ARCHIVE_MANIFEST} is not readable")
    if index.get("format") != ARCHIVE_FORMAT:
        raise UnsafeArchive(
            f"archive format {index.get('format')!r} is not the one this lift-memory reads "
            f"({ARCHIVE_FORMAT}); upgrade lift-memory"
        )
    return index


def check_archive(
    tar: tarfile.TarFile,
) -> tuple[str, dict[str, tarfile.TarInfo], dict[str, ArchiveFile]]:
    """(memory name, its file members by path, the listed files by path) of a safe archive;
    :class:`UnsafeArchive` before anything is written otherwise."""
    members = tar.getmembers()
    paths = [_member_path(m) for m in members]  # every member checked before any is used
    index = _read_index(tar, members)
    name = str(index.get("memory"))
    try:
        validate_memory_name(name)
    except ValueError:
        raise UnsafeArchive(f"refusing archive: it names memory {name!r}") from None
    listed: dict[str, ArchiveFile] = {}
    for entry in index["files"]:
        try:
            item = ArchiveFile(str(entry["path"]), int(entry["bytes"]), str(entry["sha256"]))
        except (KeyError, TypeError, ValueError):
            raise UnsafeArchive(f"refusing archive: {ARCHIVE_MANIFEST} lists a bad entry") from None
        listed[item.path] = item
    files: dict[str, tarfile.TarInfo] = {}
    for member, path in zip(members, paths, strict=True):
        if member.name == ARCHIVE_MANIFEST:
            continue
        if path.parts[0] != name:
            raise UnsafeArchive(
                f"refusing archive: member '{member.name}' is outside the memory's folder '{name}/'"
            )
        if member.isfile():
            files[PurePosixPath(*path.parts[1:]).as_posix()] = member
    if set(files) != set(listed):
        odd = sorted(set(files) ^ set(listed))[0]
        raise UnsafeArchive(
            f"refusing archive: '{odd}' is {'not listed in' if odd in files else 'missing from'} "
            f"its {ARCHIVE_MANIFEST}"
        )
    return name, files, listed


def _open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:*")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise ServiceError(f"no such archive: {archive}") from None
    except (tarfile.TarError, OSError) as error:
        raise ServiceError(f"{archive} is not a tar archive ({error})") from None


def import_memory(store: MemoryStore, archive: Path) -> ArchiveResult:
    """Add the memory in ``archive`` (made by :func:`export_memory`) to ``store``."""
    archive = archive.expanduser()
    if not hasattr(tarfile, "data_filter"):  # pragma: no cover - Python < 3.10.12 / 3.11.4
        raise ServiceError("importing needs a Python with tarfile's data filter (3.11.4+)")
    with _open_archive(archive) as tar:
        try:
            name, members, listed = check_archive(tar)
        except (tarfile.TarError, EOFError, zlib.error) as error:
            raise ServiceError(f"{archive} is damaged ({error})") from None

        def fill(folder: Path) -> None:
            for path, member in members.items():
                # the safe member, renamed to its place inside the memory's folder
                try:
                    tar.extract(member.replace(name=path, deep=False), folder, filter="data")
                except tarfile.FilterError as error:  # checked before; the filter agrees
                    raise UnsafeArchive(f"refusing archive: {error}") from None
                except (tarfile.TarError, EOFError, zlib.error) as error:
                    raise ServiceError(f"{archive} is damaged ({error})") from None
            for path, expected in listed.items():
                if _sha256(folder / path) != expected.sha256:
                    raise UnsafeArchive(
                        f"archive damaged: {name}/{path} does not match its checksum"
                    )

        manifest = store.install(name, fill)
    return ArchiveResult(name, archive, list(listed.values()), _arm_notes(manifest))
