"""The FastAPI app: OpenAI-compatible endpoints plus memory management.

    GET    /v1/models                    the base model(s) and every complete memory (lift:NAME)
    GET    /v1/models/{model}            one of them
    POST   /v1/chat/completions          answer (stream or not); extras lift_mode, lift_policy,
                                         lift_top_k; the response's extra field ``lift``
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
from starlette.exceptions import HTTPException as StarletteHTTPException

from lift_memory_cli.context import DEFAULT_MODEL, rag_info, resume_command, retrieval_arm
from lift_memory_cli.errors import CliError, describe_validation_error
from lift_memory_cli.server import chat
from lift_memory_cli.server.errors import ApiError, from_exception
from lift_memory_cli.server.jobs import IngestJob, IngestJobs
from lift_memory_cli.server.pool import MEMORY_PREFIX, ModelPool, timestamp
from lift_memory_cli.server.schemas import ChatCompletionRequest, IngestRequest, model_object

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
    from lift_memory.store import MemoryStore

    store = MemoryStore(home)
    pool = ModelPool(store, base_model, max_loaded=max_loaded)

    def ingest_finished(job: IngestJob) -> None:
        pool.evict(MEMORY_PREFIX + job.memory)  # a re-ingested memory is loaded afresh

    jobs = IngestJobs(store.home, max_running=max_ingests, on_finished=ingest_finished)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()

    app = FastAPI(title="lift-memory", version=_version(), lifespan=lifespan)
    app.state.store, app.state.pool, app.state.jobs = store, pool, jobs

    @app.middleware("http")
    async def require_api_key(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if api_key:
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
            400, f"{location}: {message}" if location else message, param=location or None
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

    # The engine's and the CLI's errors are the user's to act on (404, 409, 400…); anything
    # else is a 500 (Starlette routes an ``Exception`` handler through its error middleware).
    from lift_memory.errors import LiftMemoryError

    for kind in (LiftMemoryError, CliError, Exception):
        app.add_exception_handler(kind, known_error)

    # --- OpenAI: models and chat completions
    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        data = [model_object(model, 0) for model in pool.base_models()]
        data += [_memory_model(manifest) for manifest in pool.memories()]
        return {"object": "list", "data": data}

    @app.get("/v1/models/{model:path}")
    def get_model(model: str) -> dict[str, Any]:
        manifest = pool.manifest_of(model)
        return _memory_model(manifest) if manifest is not None else model_object(model, 0)

    @app.post("/v1/chat/completions", response_model=None)
    def chat_completions(body: ChatCompletionRequest) -> dict[str, Any] | StreamingResponse:
        is_memory = pool.manifest_of(body.model) is not None  # 404 before anything else
        question, mode = chat.check_request(body, is_memory)
        served = pool.get(body.model)
        if body.stream:
            return StreamingResponse(
                chat.stream(pool, served, body, question, mode),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        return chat.complete(pool, served, body, question, mode)

    # --- memory management
    @app.get("/v1/memories")
    def list_memories() -> dict[str, Any]:
        from lift_memory_cli.ls import manifest_row

        memories = [
            {"id": MEMORY_PREFIX + m.name, "object": "memory", **manifest_row(m)}
            for m in store.list()
        ]
        problems = [
            {"name": p.name, "path": str(p.path), "error": p.message} for p in store.list_problems()
        ]
        return {"object": "list", "data": memories, "problems": problems}

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
        manifest = store.read_manifest(name)
        data = {"id": MEMORY_PREFIX + name, "object": "memory", **manifest.model_dump(mode="json")}
        data["path"] = str(store.path(name))
        if manifest.status != "complete":
            data["resume"] = resume_command(manifest)
        return data

    @app.delete("/v1/memories/{name}")
    def delete_memory(name: str) -> dict[str, Any]:
        from lift_memory.errors import CorruptMemory

        if jobs.running_for(name) is not None:
            raise ApiError(409, f"memory '{name}' is being ingested", code="memory_not_ready")
        if not store.exists(name):
            store.read_manifest(name)  # UnknownMemory (404) or InvalidMemoryName (400)
        try:
            rag = rag_info(store.read_manifest(name))
        except CorruptMemory:  # a damaged memory can still be deleted
            rag = None
        pool.evict(MEMORY_PREFIX + name)  # releases its Chroma client before the folder goes
        store.delete(name)
        if rag and rag.get("url"):  # the collection lives on a Chroma server
            try:
                retrieval_arm(store, name, rag).delete_collection()
            except Exception as error:  # noqa: BLE001 - the memory is gone; log what is left
                log.warning(
                    "could not delete Chroma collection %s: %s", rag.get("collection"), error
                )
        return {"id": MEMORY_PREFIX + name, "object": "memory", "deleted": True}

    return app


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
    from pydantic import ValidationError

    from lift_memory.store import validate_memory_name
    from lift_memory_cli.ingest import build_config

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
        config = build_config(None, body.config)
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


def _version() -> str:
    from lift_memory_cli.app import version

    return version()


__all__ = ["create_app"]
