"""Plain JSON values for what commands print with ``--json`` and the server sends."""

from __future__ import annotations

import math
from typing import Any


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN/inf become null, tuples lists, paths strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
