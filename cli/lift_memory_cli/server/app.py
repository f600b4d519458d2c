"""The FastAPI app: OpenAI-compatible endpoints plus memory management.

    GET    /health                       liveness: {"status": "ok"} (no API key needed)
    GET    /v1/models                    the base model(s) and every complete memory (lift:NAME)
    GET    /v1/models/{model}            one of them
    POST   /v1/chat/completions          answer a conversation (stream or not); extras lift_mode
                                         (auto by default for a memory), lift_policy,
                                         lift_scaling, lift_top_k; the response's extra field
                                         ``lift``
    POST   /v1/completions               continue a plain-text prompt (lift_mode auto — the
                                         default for a memory —, memory or base)
    GET    /v1/memories                  memories (any status) and unreadable store entries
    GET    /v1/memories/{name}           one manifest (`lift-memory info --json`)
    DELETE /v1/memories/{name}           delete it (`lift-memory rm`)
    POST   /v1/memories                  start an ingest job → 202 with the job
    GET    /v1/memories/jobs/{job_id}    the job's status, progress and result

With an API key every request needs ``Authorization: Bearer <key>`` (401 otherwise). Handlers
are plain functions, which FastAPI runs in its thread pool: a generation blocks a worker thread,
never the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lift_memory.errors import LiftMemoryError
from lift_memory.names import validate_memory_name
from lift_memory_cli.core import memories
from lift_memory_cli.core.base_model import DEFAULT_MODEL
from lift_memory_cli.core.errors import ServiceError, describe_validation_error
from lift_memory_cli.core.home import open_store
from lift_memory_cli.core.ingesting import check_settings
from lift_memory_cli.core.qa_source import QASource
from lift_memory_cli.core.version import version
from lift_memory_cli.server import chat, completions
from lift_memory_cli.server.errors import ApiError, from_exception
from lift_memory_cli.server.jobs import IngestJob, IngestJobs
from lift_memory_cli.server.model_cache import MEMORY_PREFIX, ServedModelCache, timestamp
from lift_memory_cli.server.requests import (
    ChatCompletionRequest,
    CompletionRequest,
    IngestRequest,
)
from lift_memory_cli.server.responses import model_object

HEALTH_PATH = "/health"  # open to load balancers and orchestrators: it says nothing private

log = logging.getLogger("lift_memory.server")


def create_app(
    home: Path | str,
    *,
    base_model: str = DEFAULT_MODEL,
    api_key: str | None = None,
    max_loaded: int = 4,
    max_ingests: int = 1,
) -> FastAPI:
    """The server for the store at ``home``; ``base_model`` is also served as itself."""
    store = open_store(home)
    models = ServedModelCache(store, base_model, max_loaded=max_loaded)

    def ingest_finished(job: IngestJob) -> None:
        models.evict(MEMORY_PREFIX + job.memory)  # a re-ingested memory is loaded afresh

    jobs = IngestJobs(store.home, max_running=max_ingests, on_finished=ingest_finished)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()

    app = FastAPI(title="lift-memory", version=version(), lifespan=lifespan)
    app.state.store, app.state.models, app.state.jobs = store, models, jobs

    @app.middleware("http")
    async def require_api_key(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if api_key and request.url.path != HEALTH_PATH:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                token.strip().encode(), api_key.encode()
            ):
                return ApiError(
                    401,
                    "Missing or incorrect API key: send 'Authorization: Bearer <key>' with the "
                    "key in LIFT_MEMORY_API_KEY",
                    code="invalid_api_key",
                ).response()
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def invalid_body(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        location = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = first.get("msg", "invalid request")
        return ApiError(
            400,
            f"{location}: {message}" if location else message,
            code="invalid_value" if location else None,
            param=location or None,
        ).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = "not_found" if error.status_code == 404 else None
        return ApiError(error.status_code, str(error.detail), code=kind).response()

    async def known_error(_request: Request, error: Exception) -> JSONResponse:
        known = from_exception(error)
        if known is None:  # a bug: say so without leaking details; the log has the traceback
            log.exception("request failed", exc_info=error)
            known = ApiError(500, f"internal error ({type(error).__name__})", type="server_error")
        return known.response()

    # The engine's and the service layer's errors are the user's to act on (404, 409, 400…);
    # anything else is a 500 (Starlette routes an ``Exception`` handler through its error
    # middleware).
    for kind in (LiftMemoryError, ServiceError, Exception):
        app.add_exception_handler(kind, known_error)

    @app.get(HEALTH_PATH)
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": version()}

    # --- OpenAI: models, chat and text completions
    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        data = [model_object(model, 0) for model in models.base_models()]
        data += [_memory_model(manifest) for manifest in models.memories()]
        return {"object": "list", "data": data}

    @app.get("/v1/models/{model:path}")
    def get_model(model: str) -> dict[str, Any]:
        manifest = models.manifest_of(model)
        return _memory_model(manifest) if manifest is not None else model_object(model, 0)

    @app.post("/v1/chat/completions", response_model=None)
    def chat_completions(body: ChatCompletionRequest) -> dict[str, Any] | StreamingResponse:
        is_memory = models.manifest_of(body.model) is not None  # 404 before anything else
        plan = chat.check_request(body, is_memory)
        served = models.get(body.model)
        if body.stream:
            return _event_stream(chat.stream(models, served, body, plan))
        return chat.complete(models, served, body, plan)

    @app.post("/v1/completions", response_model=None)
    def text_completions(body: CompletionRequest) -> dict[str, Any] | StreamingResponse:
        is_memory = models.manifest_of(body.model) is not None
        prompt, mode = completions.check_request(body, is_memory)
        served = models.get(body.model)
        if body.stream:
            return _event_stream(completions.stream(models, served, body, prompt, mode))
        return completions.complete(models, served, body, prompt, mode)

    # --- memory management
    @app.get("/v1/memories")
    def list_memories() -> dict[str, Any]:
        rows = [
            {"id": MEMORY_PREFIX + m.name, "object": "memory", **memories.memory_row(m)}
            for m in store.list()
        ]
        return {"object": "list", "data": rows, "problems": memories.store_problems(store)}

    @app.post("/v1/memories", status_code=202)
    def start_ingest(body: IngestRequest, response: Response) -> dict[str, Any]:
        job = jobs.start(_ingest_spec(store, jobs, body, base_model))
        response.headers["Location"] = f"/v1/memories/jobs/{job.id}"
        return job.to_json()

    @app.get("/v1/memories/jobs/{job_id}")
    def get_job(job_id: str) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"no ingest job '{job_id}'", code="job_not_found")
        return job.to_json()

    @app.get("/v1/memories/{name}")
    def memory_info(name: str) -> dict[str, Any]:
        details = memories.memory_details(store, store.read_manifest(name))
        return {"id": MEMORY_PREFIX + name, "object": "memory", **details}

    @app.delete("/v1/memories/{name}")
    def delete_memory(name: str) -> dict[str, Any]:
        if jobs.running_for(name) is not None:
            raise ApiError(409, f"memory '{name}' is being ingested", code="memory_not_ready")
        # UnknownMemory (404) or InvalidMemoryName (400) for a memory that is not there
        rag = memories.rag_info_for_deletion(store, name)
        models.evict(MEMORY_PREFIX + name)  # releases its Chroma client before the folder goes
        left = memories.delete_memory(store, name, rag)
        if left is not None and rag:  # the memory is gone; log what is left
            log.warning("could not delete Chroma collection %s: %s", rag.get("collection"), left)
        return {"id": MEMORY_PREFIX + name, "object": "memory", "deleted": True}

    return app


def _event_stream(events: Any) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _memory_model(manifest: Any) -> dict[str, Any]:
    return model_object(
        MEMORY_PREFIX + manifest.name,
        timestamp(manifest.created_at),
        parent=manifest.base_model,
    )


def _ingest_spec(
    store: Any, jobs: IngestJobs, body: IngestRequest, base_model: str
) -> dict[str, Any]:
    """Check what can be checked before a worker starts (400 / 409), then the worker's spec."""
    validate_memory_name(body.name)
    if body.resume and body.overwrite:
        raise ApiError(400, "resume and overwrite contradict each other; choose one")
    if jobs.running_for(body.name) is not None:
        raise ApiError(409, f"memory '{body.name}' is already being ingested", code="conflict")
    if store.exists(body.name) and not (body.resume or body.overwrite):
        raise ApiError(
            409,
            f"memory '{body.name}' already exists; set resume or overwrite, or delete it",
            code="memory_exists",
            param="name",
        )
    try:
        # a QA source the server cannot give (a file, an endpoint) is refused here, not in the job
        config = check_settings(None, body.config, QASource())
    except ValidationError as error:
        raise ApiError(
            400, f"invalid settings: {describe_validation_error(error)}", param="config"
        ) from None
    return {
        "name": body.name,
        "documents": [d.model_dump() for d in body.documents],
        "model": body.model or base_model,
        "config": config.model_dump(mode="json"),
        "rag": body.rag,
        "chroma_url": body.chroma_url,
        "resume": body.resume,
        "overwrite": body.overwrite,
    }


__all__ = ["create_app"]
