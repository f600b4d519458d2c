"""Plain JSON values for what commands print with ``--json`` and the server sends, and the
JSON objects of settings that ``--config`` reads (`ingest`, `bench`)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lift_memory_cli.core.errors import ServiceError


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


def read_json_object(config: Path | str, fields: str) -> dict[str, Any]:
    """The JSON object of settings in the file ``config``, or in ``config`` itself when it is a
    string that starts with ``{`` (inline JSON); ``fields`` names what it holds, for the error
    when it is not one object."""
    inline = isinstance(config, str) and config.lstrip().startswith("{")
    where = "--config" if inline else f"config file {config}"
    try:
        text = str(config) if inline else Path(config).read_text(encoding="utf-8")
        loaded = json.loads(text)
    except FileNotFoundError:
        raise ServiceError(f"no such config file: {config}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ServiceError(f"{where} is not valid JSON ({error})") from None
    if not isinstance(loaded, dict):
        raise ServiceError(f"{where} must hold a JSON object of {fields}")
    return loaded
