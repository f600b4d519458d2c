"""OpenAI-style error bodies: ``{"error": {"message", "type", "param", "code"}}``.

OpenAI clients turn these into typed exceptions (``NotFoundError``, ``AuthenticationError``…)
and show ``message``; every error the server returns has this shape.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from lift_memory import errors as engine
from lift_memory_cli.core.conversation import ContextTooLong
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.text import one_line


class ApiError(Exception):
    """An error answered as an OpenAI-style JSON body with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = one_line(message)
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def unknown_model(model: str) -> ApiError:
    return ApiError(
        404,
        f"The model '{model}' does not exist; GET /v1/models lists the base model and every "
        "complete memory as lift:NAME",
        code="model_not_found",
        param="model",
    )


def from_exception(error: BaseException) -> ApiError | None:
    """The API error for an engine or service error a client can act on; None for a bug."""
    if isinstance(error, ApiError):
        return error
    message = str(error)
    if isinstance(error, engine.UnknownMemory):
        return ApiError(404, message, code="memory_not_found")
    if isinstance(error, engine.InvalidMemoryName):
        return ApiError(400, message, code="invalid_memory_name")
    if isinstance(error, engine.MemoryIncomplete | engine.MemoryLocked):
        # an ingest is running or was interrupted: the memory exists but cannot answer yet
        return ApiError(409, message, code="memory_not_ready")
    if isinstance(error, engine.ModelNotInstalled):
        return ApiError(503, message, type="server_error", code="model_not_installed")
    if isinstance(error, ContextTooLong):
        return ApiError(400, message, code="context_length_exceeded")
    if isinstance(error, engine.LiftMemoryError | ServiceError):
        return ApiError(400, message)
    return None
