"""QA pairs from any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, OpenAI).

For users with a bigger model than the one being adapted. Plain ``urllib`` keeps the engine free
of an HTTP client dependency; the reply is parsed and evidence-checked by ``parse_qa_output``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from lift_memory.errors import LiftMemoryError
from lift_memory.qa.base import QAPair
from lift_memory.qa.chunking import collect_over_chunks
from lift_memory.qa.parsing import parse_qa_output

_SYSTEM_PROMPT = (
    "You write reading-comprehension questions. You answer only with JSON, never with prose."
)


def build_json_prompt(chunk: str, count: int) -> str:
    """The user message asking for ``count`` QA pairs about ``chunk`` as a JSON list."""
    return (
        f"Write {count} question-answer pairs about the text below.\n"
        "- Each question must be answerable from the text alone and make sense without it "
        '(no "in the text" or "this passage").\n'
        "- Each answer is short: a name, number, date or a few words.\n"
        "- Each evidence is one sentence copied exactly, word for word, from the text.\n"
        'Reply with only a JSON list: [{"question": "...", "answer": "...", "evidence": "..."}]\n'
        f'\nText:\n"""\n{chunk}\n"""'
    )


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class OpenAIQAGenerator:
    """Calls ``POST {base_url}/chat/completions`` once per ~``chunk_chars`` chunk of the corpus."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        chunk_chars: int = 2000,
        max_tokens: int = 1024,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise LiftMemoryError(
                f"QA endpoint URL must start with http:// or https://: {base_url}"
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.chunk_chars = chunk_chars
        self.max_tokens = max_tokens

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON and return the decoded reply; every failure is a one-line LiftMemoryError."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace") if error.fp else ""
            raise LiftMemoryError(
                f"QA endpoint {self.url} returned HTTP {error.code}: {_one_line(detail or error.reason)}"
            ) from None
        except urllib.error.URLError as error:
            raise LiftMemoryError(
                f"cannot reach QA endpoint {self.url}: {_one_line(error.reason)}"
            ) from None
        except TimeoutError:
            raise LiftMemoryError(
                f"QA endpoint {self.url} did not answer within {self.timeout:g} s"
            ) from None
        except OSError as error:
            raise LiftMemoryError(
                f"cannot reach QA endpoint {self.url}: {_one_line(error)}"
            ) from None
        try:
            reply = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise LiftMemoryError(
                f"QA endpoint {self.url} did not return JSON: {_one_line(payload[:200])}"
            ) from None
        if not isinstance(reply, dict):
            raise LiftMemoryError(f"QA endpoint {self.url} returned an unexpected reply")
        return reply

    def complete(self, prompt: str) -> str:
        """One chat completion: the assistant message's text."""
        reply = self._post(
            {
                "model": self.model,
                "messages": [
                    {"role": "system", "content": _SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                "temperature": 0,
                "max_tokens": self.max_tokens,
            }
        )
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LiftMemoryError(
                f"QA endpoint {self.url} returned no choices[0].message.content: "
                f"{_one_line(json.dumps(reply))}"
            ) from None
        return content if isinstance(content, str) else ""

    def _ask(self, chunk: str, count: int) -> list[QAPair]:
        return parse_qa_output(self.complete(build_json_prompt(chunk, count)), chunk, self.name)

    def generate(self, text: str, n: int) -> list[QAPair]:
        """Up to ``n`` verified pairs, requested chunk by chunk so they cover the whole text."""
        return collect_over_chunks(text, n, self.chunk_chars, self._ask)
