"""Bring-your-own auxiliary QA pairs: a JSON-lines file (``--qa-file``, the engine's
``JsonlQAGenerator``) or any OpenAI-compatible endpoint (``--qa-endpoint`` and ``--qa-model``:
a llama.cpp or vLLM server, Ollama, OpenAI; the engine's ``OpenAIQAGenerator`` with its HTTP
calls made by the ``openai`` client, which retries with exponential backoff).

Everything is checked before the base model loads: the settings agree with the options, the
file parses, the endpoint answers. The endpoint's key, if it needs one, is read from
``LIFT_MEMORY_QA_API_KEY`` (never from a command line, where other users' ``ps`` could see it).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lift_memory.errors import LiftMemoryError
from lift_memory.qa.jsonl_file import JsonlQAGenerator
from lift_memory.qa.openai_endpoint import OpenAIQAGenerator
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.text import one_line

if TYPE_CHECKING:
    from lift_memory.qa.base import QAGenerator

API_KEY_ENV = "LIFT_MEMORY_QA_API_KEY"
ENDPOINT_RETRIES = 4
ENDPOINT_TIMEOUT_S = 120.0
_FILE_HELP = "--qa-file FILE.jsonl"
_ENDPOINT_HELP = "--qa-endpoint URL --qa-model NAME"


@dataclass(frozen=True)
class QASource:
    """Where an ingest's QA pairs come from, besides the built-in generators."""

    file: Path | None = None
    endpoint: str | None = None
    model: str | None = None

    @property
    def kind(self) -> str | None:
        """The ``LiftConfig.qa_generator`` these options stand for (None: neither given)."""
        if self.file is not None:
            return "jsonl"
        if self.endpoint is not None or self.model is not None:
            return "openai"
        return None

    def settings(self) -> dict[str, Any]:
        """LiftConfig fields the options imply."""
        return {"qa_generator": self.kind} if self.kind else {}


def check_qa_source(source: QASource, qa_generator: str) -> None:
    """Refuse options and settings that disagree, with what to pass instead."""
    if source.file is not None and (source.endpoint or source.model):
        raise ServiceError(f"give {_FILE_HELP} or {_ENDPOINT_HELP}, not both")
    if bool(source.endpoint) != bool(source.model):
        missing = "--qa-model NAME" if source.endpoint else "--qa-endpoint URL"
        raise ServiceError(
            f"an OpenAI-compatible QA endpoint needs {_ENDPOINT_HELP}: add {missing}"
        )
    if qa_generator == "openai" and source.kind != "openai":
        raise ServiceError(
            "qa_generator 'openai' asks an OpenAI-compatible endpoint for the QA pairs: give "
            f"{_ENDPOINT_HELP} (a llama.cpp or vLLM server, Ollama, OpenAI; its key, if it "
            f"needs one, in {API_KEY_ENV})"
        )
    if qa_generator == "jsonl" and source.kind != "jsonl":
        raise ServiceError(
            f"qa_generator 'jsonl' reads the QA pairs from a file: give {_FILE_HELP} (one "
            '{"question", "answer", "evidence"?} object per line)'
        )


class RetryingEndpointQAGenerator(OpenAIQAGenerator):
    """The engine's endpoint QA generator, its requests sent by the ``openai`` client: retries
    on connection errors, timeouts, 408/409/429 and 5xx with exponential backoff."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None) -> None:
        super().__init__(base_url, model, api_key=api_key, timeout=ENDPOINT_TIMEOUT_S)
        import openai

        # its retry notices would interleave with the progress display; failures are raised
        for name in ("openai", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)

        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",  # local servers take any key; the client wants one
            max_retries=ENDPOINT_RETRIES,
            timeout=ENDPOINT_TIMEOUT_S,
        )

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """The engine's one HTTP call (``complete`` builds the body and reads the reply)."""
        import openai

        try:
            reply = self._client.chat.completions.create(**body)
        except openai.APIStatusError as error:
            raise LiftMemoryError(
                f"QA endpoint {self.url} returned HTTP {error.status_code}: "
                f"{one_line(error.message)[:200]}"
            ) from None
        except openai.APIConnectionError as error:  # timeouts included
            raise LiftMemoryError(
                f"cannot reach QA endpoint {self.url} ({one_line(error)}, "
                f"{ENDPOINT_RETRIES} retries)"
            ) from None
        return reply.model_dump()

    def check_reachable(self) -> None:
        """Fail now, before the model loads, if nothing answers at the endpoint."""
        import openai

        try:
            self._client.with_options(max_retries=1, timeout=15.0).models.list()
        except openai.APIStatusError as error:
            if error.status_code in (401, 403):
                raise ServiceError(
                    f"QA endpoint {self.base_url} refused the key (HTTP {error.status_code}); "
                    f"set {API_KEY_ENV}"
                ) from None
            # anything else answered: the endpoint is there, even without a /models route
        except openai.APIConnectionError as error:
            raise ServiceError(
                f"cannot reach QA endpoint {self.base_url} ({one_line(error)}); start it or "
                "check --qa-endpoint (the base URL, e.g. http://localhost:8080/v1)"
            ) from None


def qa_generator_for(source: QASource, *, probe: bool = True) -> QAGenerator | None:
    """The generator for ``source`` (None: the settings' built-in one), checked for use:
    the file read through once, the endpoint asked for its models."""
    if source.kind == "jsonl":
        assert source.file is not None
        generator = JsonlQAGenerator(source.file)
        generator.generate("", 0)  # validates every line (a bad one names its file and line)
        return generator
    if source.kind == "openai":
        assert source.endpoint is not None and source.model is not None
        endpoint = RetryingEndpointQAGenerator(
            source.endpoint, source.model, api_key=os.environ.get(API_KEY_ENV) or None
        )
        if probe:
            endpoint.check_reachable()
        return endpoint
    return None
