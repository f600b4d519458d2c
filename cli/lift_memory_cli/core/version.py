"""The installed lift-memory version (``lift-memory --version``, the server's OpenAPI info)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version


def version() -> str:
    try:
        return package_version("lift-memory")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
