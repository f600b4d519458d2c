"""Crash-safe file writes: a reader sees the old file or the new one, never a torn mix.

Each write goes to a temporary file in the target's directory (``os.replace`` is only atomic
within one filesystem), is flushed and fsynced, renamed over the target, and then the directory
is fsynced so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_memory.phases import mark

if TYPE_CHECKING:  # torch is heavy; `lift-memory ls` should not pay for it
    import torch

__all__ = [
    "TEMP_SUFFIX",
    "atomic_save_safetensors",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "fsync_dir",
    "remove_stale_temp_files",
]

# Temp files are hidden (leading dot) and end with this, so listings and cleanups can skip them.
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{12}" + re.escape(TEMP_SUFFIX))


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Persist a directory's entries (renames, creations) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # platforms that cannot open directories (Windows) have nothing to sync
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems (e.g. certain network mounts) refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _open_temp(target: Path) -> tuple[int, Path]:
    # os.open with 0o666 lets the umask decide the final mode, as a plain open() would;
    # mkstemp would leave every file 0600.
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # astronomically rare name clash; draw again
            continue


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> int:
    """Write ``data`` to ``path`` atomically; returns the number of bytes written.

    The parent directory must exist. On any error the target is untouched and the temp file
    is removed.
    """
    target = Path(path)
    mark(f"write:{target.name}")  # crash-test hook; a no-op normally
    fd, tmp = _open_temp(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mark(f"rename:{target.name}")  # the window in which a crash leaves only a temp file
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)
    return len(data)


def remove_stale_temp_files(directory: str | os.PathLike[str]) -> int:
    """Delete the temp files that writes killed mid-way (SIGKILL, power cut) left in ``directory``.

    Only for a directory nobody else is writing to (e.g. a memory whose lock the caller holds):
    a temp file of a write in progress would be deleted under it. Returns how many were removed.
    """
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            if _TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def atomic_write_text(path: str | os.PathLike[str], text: str) -> int:
    """Write UTF-8 ``text`` to ``path`` atomically; returns the number of bytes written."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> int:
    """Write ``obj`` as standard JSON (no NaN/Infinity, which strict parsers reject)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def atomic_save_safetensors(
    path: str | os.PathLike[str],
    tensors: dict[str, torch.Tensor],
    metadata: dict[str, str] | None = None,
) -> int:
    """Save tensors as safetensors atomically (never pickle); returns the bytes written."""
    from safetensors.torch import save

    # safetensors wants contiguous CPU tensors; .contiguous() is free when already so.
    prepared = {key: t.detach().to("cpu").contiguous() for key, t in tensors.items()}
    return atomic_write_bytes(path, save(prepared, metadata=metadata))
