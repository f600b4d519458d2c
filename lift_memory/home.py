"""Where the store lives: ``$LIFT_MEMORY_HOME``, else ``~/.lift-memory`` (docs/design.md §4).

Its own module so that reading the home (the model cache, the CLI's help) costs no pydantic.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """The store's home: ``$LIFT_MEMORY_HOME`` if set, else ``~/.lift-memory``."""
    env = os.environ.get("LIFT_MEMORY_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".lift-memory"
