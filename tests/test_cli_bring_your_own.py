"""`lift-memory ingest` with the user's own parts: QA pairs from a JSON-lines file or from an
OpenAI-compatible endpoint (retried through the openai client), checked before the model
loads; --device and --dtype; a local model folder recorded as an absolute path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lift_memory_cli.app import app
from lift_memory_cli.core import ingesting
from typer.testing import CliRunner

from lift_memory.store import MemoryStore
from lift_memory.tiny import tiny_model

CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 1,
    "qa_count": 2,
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}
LAMP = "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk."
LENS = "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889."
TEXT = f"{LAMP} {LENS}"
PAIRS = [
    {
        "question": "Who keeps the lighthouse on Varrow Point?",
        "answer": "Ilse Marrick",
        "evidence": LAMP,
    },
    {"question": "Where did the new lens come from?", "answer": "Glasgow", "evidence": LENS},
]


def run(home: Path, *args: str, **kwargs: Any):
    result = CliRunner().invoke(app, ["--home", str(home), *args], **kwargs)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def notes(tmp_path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text(TEXT)
    return path


def ingest(home: Path, notes: Path, name: str, *extra: str):
    return run(
        home,
        "ingest",
        str(notes),
        "--name",
        name,
        "--model",
        "tiny-llama",
        "--no-rag",
        "--config",
        json.dumps(CONFIG),
        "--json",
        *extra,
    )


class FakeEndpoint:
    """An OpenAI-compatible server writing ``PAIRS``; its first chat request fails with 503."""

    def __init__(self) -> None:
        self.chat_requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.reply(200, {"object": "list", "data": [{"id": "writer", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.chat_requests.append(body)
                endpoint.headers.append({k.lower(): v for k, v in self.headers.items()})
                if len(endpoint.chat_requests) == 1:
                    self.reply(503, {"error": {"message": "warming up"}})
                    return
                self.reply(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": json.dumps(PAIRS)},
                            }
                        ],
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def no_model_load(monkeypatch) -> None:
    """Fail the test if the base model would load: the error must come before it."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the model was loaded before the settings were checked")

    monkeypatch.setattr(ingesting, "load_base_model", refuse)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--config", '{"qa_generator": "openai"}'], "give --qa-endpoint URL --qa-model NAME"),
        (["--config", '{"qa_generator": "jsonl"}'], "give --qa-file FILE.jsonl"),
        (["--qa-endpoint", "http://127.0.0.1:9/v1"], "add --qa-model NAME"),
        (["--qa-file", "x.jsonl", "--qa-model", "m"], "not both"),
        (["--qa-endpoint", "ftp://host/v1", "--qa-model", "m"], "must start with http"),
        (["--qa-endpoint", "http://127.0.0.1:9/v1", "--qa-model", "m"], "cannot reach QA endpoint"),
        (["--dtype", "fp8"], "unknown dtype 'fp8'"),
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["--config", "{not json"], "--config is not valid JSON"),
    ],
    ids=[
        "openai-config",
        "jsonl-config",
        "no-model",
        "both",
        "scheme",
        "unreachable",
        "dtype",
        "device",
        "bad-json",
    ],
)
def test_bad_qa_and_device_options_fail_before_the_model_loads(
    tmp_path, notes, no_model_load, options, message
) -> None:
    result = run(
        tmp_path,
        "ingest",
        str(notes),
        "--name",
        "n",
        "--model",
        "tiny-llama",
        "--no-rag",
        *options,
    )
    assert result.exit_code == 1, result.output
    assert message in result.stderr and result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1
    assert not MemoryStore(tmp_path).exists("n")


def test_qa_file_supplies_the_pairs(tmp_path, notes) -> None:
    qa_file = tmp_path / "pairs.jsonl"
    elsewhere = {"question": "Who built it?", "answer": "Tomas", "evidence": "Not in the text."}
    qa_file.write_text("\n".join(json.dumps(p) for p in [*PAIRS, elsewhere]) + "\n")
    result = ingest(tmp_path, notes, "own", "--qa-file", str(qa_file))
    assert result.exit_code == 0, result.output
    store = MemoryStore(tmp_path)
    manifest = store.read_manifest("own")
    assert manifest.config["qa_generator"] == "jsonl" and manifest.qa_count == 2
    written = [json.loads(line) for line in store.qa_path("own").open()]
    assert [p["question"] for p in written] == [p["question"] for p in PAIRS]  # unverifiable: out
    assert json.loads(run(tmp_path, "info", "own", "--qa", "--json").stdout)["qa"][1]["answer"] == (
        "Glasgow"
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "Who?"}\n')
    refused = ingest(tmp_path, notes, "bad", "--qa-file", str(broken))
    assert refused.exit_code == 1 and f"{broken}:1: 'answer' is missing" in refused.stderr


def test_qa_endpoint_writes_the_pairs_with_retries_and_the_key(
    tmp_path, notes, endpoint, monkeypatch
) -> None:
    monkeypatch.setenv("LIFT_MEMORY_QA_API_KEY", "sk-qa-test")
    result = ingest(
        tmp_path, notes, "served", "--qa-endpoint", endpoint.url, "--qa-model", "writer"
    )
    assert result.exit_code == 0, result.output
    assert len(endpoint.chat_requests) >= 2  # the 503 was retried
    assert endpoint.chat_requests[-1]["model"] == "writer"
    assert endpoint.headers[-1]["authorization"] == "Bearer sk-qa-test"
    store = MemoryStore(tmp_path)
    written = [json.loads(line) for line in store.qa_path("served").open()]
    assert {p["answer"] for p in written} == {"Ilse Marrick", "Glasgow"}
    assert {p["source"] for p in written} == {"openai"}
    assert store.read_manifest("served").config["qa_generator"] == "openai"


def test_device_and_dtype(tmp_path, notes) -> None:
    result = ingest(tmp_path, notes, "half", "--device", "cpu", "--dtype", "bf16")
    assert result.exit_code == 0, result.output
    # the base model's fingerprint does not depend on its dtype: asked in float32, it loads
    asked = run(tmp_path, "ask", "half", "Who keeps the lighthouse?", "--mode", "memory", "--json")
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["mode"] == "memory"
    if not __import__("torch").cuda.is_available():
        refused = ingest(tmp_path, notes, "gpu", "--device", "cuda")
        assert refused.exit_code == 1 and "no CUDA GPU" in refused.stderr


def test_a_local_model_folder_is_recorded_absolute(tmp_path, notes, monkeypatch) -> None:
    loaded = tiny_model("llama")
    model_dir = tmp_path / "work" / "my-model"
    loaded.model.save_pretrained(model_dir)
    loaded.tokenizer.save_pretrained(model_dir)
    monkeypatch.chdir(tmp_path / "work")
    home = tmp_path / "home"
    result = run(
        home,
        "ingest",
        str(notes),
        "--name",
        "local",
        "--model",
        "./my-model",
        "--no-rag",
        "--config",
        json.dumps(CONFIG),
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert MemoryStore(home).read_manifest("local").base_model == str(model_dir.resolve())
    monkeypatch.chdir(tmp_path)  # elsewhere: the memory still finds its base model
    asked = run(home, "ask", "local", "Who keeps the lighthouse?", "--json")
    assert asked.exit_code == 0, asked.output
