"""Package ``__init__``s that import their public names on first use (PEP 562).

A package lists ``{submodule: [names]}``; ``lazy_exports`` returns the module-level
``__getattr__`` and ``__dir__`` that import a name's submodule the first time the name is read.
``import lift_memory`` then costs no torch import until a name that needs it is used, and the
CLI can read the store, manifests and model ids quickly.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, structure: dict[str, list[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose submodules define ``structure``."""
    exports = {name: f"{package}.{module}" for module, names in structure.items() for name in names}
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
