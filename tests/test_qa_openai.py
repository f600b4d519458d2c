"""OpenAIQAGenerator against a real local HTTP server speaking the chat-completions format."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lift_memory.errors import LiftMemoryError
from lift_memory.qa import OpenAIQAGenerator, QAGenerator

TEXT = "Edda Mirel keeps the lighthouse on Varnholm. The lighthouse was built in 1847."

CANNED = [
    {
        "question": "Who keeps the lighthouse on Varnholm?",
        "answer": "Edda Mirel",
        "evidence": "Edda Mirel keeps the lighthouse on Varnholm.",
    },
    {
        "question": "In what year was the lighthouse built?",
        "answer": "1847",
        "evidence": "The lighthouse was built in 1847.",
    },
    {
        "question": "Who painted the lighthouse?",
        "answer": "Tomas Berg",
        "evidence": "Tomas Berg painted the lighthouse red.",  # not in the text: dropped
    },
]


class _Server:
    """A chat-completions endpoint in a thread; records requests; reply chosen per test."""

    def __init__(self, status: int = 200, content: str | None = None, body: bytes | None = None):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers["Content-Length"])
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                if body is not None:
                    payload = body
                else:
                    message = (
                        "```json\n" + json.dumps(CANNED) + "\n```" if content is None else content
                    )
                    payload = json.dumps(
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": message},
                                    "finish_reason": "stop",
                                }
                            ],
                        }
                    ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def test_generates_verified_pairs_and_sends_openai_request():
    with _Server() as server:
        generator = OpenAIQAGenerator(server.url + "/", "big-model", api_key="sk-test", timeout=5)
        assert isinstance(generator, QAGenerator)
        pairs = generator.generate(TEXT, 3)
    assert [p.answer for p in pairs] == ["Edda Mirel", "1847"]  # fake evidence dropped
    assert all(p.source == "openai" and p.evidence in TEXT for p in pairs)
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["body"]
    assert body["model"] == "big-model"
    assert body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    prompt = body["messages"][1]["content"]
    assert TEXT in prompt and "JSON" in prompt and '"evidence"' in prompt


def test_no_api_key_sends_no_authorization_header():
    with _Server() as server:
        OpenAIQAGenerator(server.url, "m", timeout=5).generate(TEXT, 1)
    assert "Authorization" not in server.requests[0]["headers"]


def test_long_text_is_chunked_and_n_shared():
    sentences = [f"Keeper number {i} served for {i + 2} years on the rock." for i in range(60)]
    text = " ".join(sentences)
    with _Server(content="[]") as server:
        assert (
            OpenAIQAGenerator(server.url, "m", timeout=5, chunk_chars=500).generate(text, 10) == []
        )
    prompts = [r["body"]["messages"][1]["content"] for r in server.requests]
    assert len(prompts) >= 5
    assert all(len(p) < 500 + 1000 for p in prompts)
    assert sentences[0] in prompts[0] and sentences[-1] in prompts[-1]


def test_http_error_is_one_line_lift_memory_error():
    with _Server(status=500, body=b'{"error": {"message": "model\\noverloaded"}}') as server:
        generator = OpenAIQAGenerator(server.url, "m", timeout=5)
        with pytest.raises(LiftMemoryError) as caught:
            generator.generate(TEXT, 2)
    message = str(caught.value)
    assert "HTTP 500" in message and generator.url in message and "\n" not in message


def test_malformed_reply_is_lift_memory_error():
    for body, fragment in [
        (b"not json at all", "did not return JSON"),
        (b'{"choices": []}', "choices"),
    ]:
        with _Server(body=body) as server, pytest.raises(LiftMemoryError, match=fragment):
            OpenAIQAGenerator(server.url, "m", timeout=5).generate(TEXT, 2)


def test_connection_refused_names_the_url():
    # Bind then close a port so nothing listens there.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    generator = OpenAIQAGenerator(f"http://127.0.0.1:{port}/v1", "m", timeout=5)
    with pytest.raises(LiftMemoryError) as caught:
        generator.generate(TEXT, 2)
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/v1/chat/completions" in message
    assert "cannot reach" in message and "\n" not in message


def test_bad_url_rejected_early():
    with pytest.raises(LiftMemoryError, match="http"):
        OpenAIQAGenerator("localhost:8000", "m")
