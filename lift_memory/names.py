"""Memory names: what a memory may be called, checked before any path is built from it.

Its own module because both the store (paths) and the manifest schema (its ``name`` field)
validate names, and neither should import the other for it.
"""

from __future__ import annotations

import os
import re

from lift_memory.errors import InvalidMemoryName

__all__ = ["validate_memory_name"]

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def validate_memory_name(name: str) -> str:
    """Return ``name`` if it is a safe memory name, else raise ``InvalidMemoryName``.

    1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit,
    and no '..' anywhere, so a name can never leave the store directory.
    """
    if not isinstance(name, str):
        raise InvalidMemoryName(f"memory name must be a string, got {type(name).__name__}")
    shown = repr(name) if len(name) <= 80 else repr(name[:77] + "...")
    hint = "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    if not name:
        raise InvalidMemoryName(f"memory name is empty; {hint}")
    if len(name) > 64:
        raise InvalidMemoryName(f"memory name {shown} is {len(name)} characters long; {hint}")
    if "/" in name or "\\" in name or "\x00" in name or os.sep in name:
        raise InvalidMemoryName(f"memory name {shown} contains a path separator or NUL; {hint}")
    if ".." in name:
        raise InvalidMemoryName(f"memory name {shown} contains '..'; {hint}")
    # fullmatch, not match with '$': '$' also matches before a trailing newline.
    if not _NAME_RE.fullmatch(name):
        raise InvalidMemoryName(f"memory name {shown} is not allowed; {hint}")
    return name
