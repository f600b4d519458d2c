"""The schema of a memory's ``manifest.json`` (docs/design.md §4).

Validation is strict on purpose: a hand-edited or damaged manifest with wrong types must fail
loudly (the store turns that into ``CorruptMemory``) rather than be coerced into something that
looks plausible.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lift_memory.names import validate_memory_name

__all__ = ["FORMAT_VERSION", "DocumentRecord", "Manifest", "utc_now_iso"]

# Bump when the on-disk layout changes incompatibly; readers refuse newer versions.
FORMAT_VERSION = 1

_SHA256_PATTERN = r"^[0-9a-f]{64}$"


def utc_now_iso() -> str:
    """Current time as an ISO-8601 UTC string, e.g. ``2025-01-31T12:00:00.123456+00:00``."""
    return datetime.now(timezone.utc).isoformat()


def _check_utc_iso(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO-8601 timestamp") from None
    offset = parsed.utcoffset()
    if offset is None or offset.total_seconds() != 0:
        raise ValueError("must be a UTC timestamp (offset +00:00)")
    return value


def _nulls_to_nan(value: Any) -> Any:
    # JSON has no NaN: non-finite metrics (a diverged loss) are written as null and read back
    # as NaN, so the file stays standard JSON and the round trip never fails.
    if isinstance(value, dict):
        return {k: (math.nan if v is None else v) for k, v in value.items()}
    return value


class DocumentRecord(BaseModel):
    """One input document of the corpus."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    source: str = Field(description="Where the document came from (a path or URL), for display.")
    sha256: str = Field(pattern=_SHA256_PATTERN, description="Hex SHA-256 of the document text.")
    chars: int = Field(ge=0)
    tokens: int = Field(ge=0)


# ``Manifest.extra`` key of the learning curve an ingest with ``learn_until`` records: per epoch
# of its target stage, the facts extractable and the training tokens and seconds spent by then
LEARNING_CURVE_KEY = "learning_curve"
# extra: why each stage with a learning target ended ("target", "plateau" or "epochs")
STOPPED_BY_KEY = "stopped_by"


class Manifest(BaseModel):
    """Everything known about one stored memory, apart from its weights."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        validate_assignment=True,  # a mutated manifest is re-checked before it can be written
        ser_json_inf_nan="null",
    )

    format_version: int = FORMAT_VERSION
    name: str
    status: Literal["incomplete", "complete"] = "incomplete"
    base_model: str = Field(min_length=1, description="Model id or local path of the base model.")
    base_fingerprint: str = Field(
        min_length=1, description="Hash identifying the base model's weights and shapes."
    )
    adapter_kind: str = Field(min_length=1, description="e.g. 'gated_memory', 'lora', 'pissa'.")
    config: dict[str, Any] = Field(default_factory=dict, description="The dumped LiftConfig.")
    documents: list[DocumentRecord] = Field(default_factory=list)
    qa_count: int = Field(default=0, ge=0)
    metrics: dict[str, float] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    adapter_bytes: int = Field(default=0, ge=0)
    created_at: str = Field(default_factory=utc_now_iso)
    updated_at: str = Field(default_factory=utc_now_iso)
    extra: dict[str, Any] = Field(
        default_factory=dict, description="Integration data, e.g. the RAG collection's info."
    )

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value < 1:
            raise ValueError("format_version must be >= 1")
        if value > FORMAT_VERSION:
            raise ValueError(
                f"format_version {value} was written by a newer lift-memory; upgrade lift-memory"
            )
        return value

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return validate_memory_name(value)  # InvalidMemoryName is a ValueError

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc_timestamp(cls, value: str) -> str:
        return _check_utc_iso(value)

    @field_validator("metrics", "timings", mode="before")
    @classmethod
    def _null_floats(cls, value: Any) -> Any:
        return _nulls_to_nan(value)

    def corpus_sha256(self) -> str:
        """One hash for the whole corpus, from the document hashes in order.

        Order counts because the corpus is tokenized as one stream in that order; sources
        (paths) do not, so moving the files does not change the corpus identity.
        """
        digest = hashlib.sha256()
        for doc in self.documents:
            digest.update(doc.sha256.encode("ascii"))
            digest.update(b"\n")
        return digest.hexdigest()
