"""Security guarantees of docs/security.md, checked on the source and at run time.

- Weights are loaded only from safetensors: no pickle imports, no ``torch.load`` without
  ``weights_only=True``, no ``torch.save`` or ``allow_pickle`` in the shipped packages.
- ``trust_remote_code`` is never switched on by us: every ``from_pretrained`` passes it
  explicitly, never as a literal True, and ``load_model`` defaults to False.
- No network access unless a URL is given: the only HTTP client calls are the OpenAI-compatible
  QA generator (its URL is a required argument; the CLI's retrying subclass hands that URL to the
  ``openai`` client, never the client's own default) and Chroma's ``HttpClient`` (only with a
  URL), and a whole ingest + ask with the RAG arm opens no connection.
"""

from __future__ import annotations

import ast
import inspect
import json
import socket
import urllib.request
from pathlib import Path

import pytest
from lift_memory_cli.app import app
from typer.testing import CliRunner

from lift_memory.models import load_model

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [ROOT / "lift_memory", ROOT / "cli" / "lift_memory_cli", ROOT / "integrations"]
SOURCES = sorted(p for package in PACKAGES for p in package.rglob("*.py"))
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "joblib", "cloudpickle", "shelve"}


def calls(tree: ast.AST, attribute: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == attribute)
            or (isinstance(node.func, ast.Name) and node.func.id == attribute)
        )
    ]


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


@pytest.fixture(scope="module")
def trees() -> dict[Path, ast.AST]:
    assert len(SOURCES) > 30  # the scan sees the packages
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


def test_no_pickle_anywhere(trees) -> None:
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            else:
                continue
            found += [where(path, node) for name in names if name in PICKLE_MODULES]
        found += [where(path, c) for c in calls(tree, "save") if _is_torch(c)]
        for call in calls(tree, "load"):
            if _is_torch(call):
                weights_only = keyword(call, "weights_only")
                if not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                    found.append(where(path, call))
            allow = keyword(call, "allow_pickle")
            if allow is not None and not (isinstance(allow, ast.Constant) and allow.value is False):
                found.append(where(path, call))
    assert found == [], f"pickle-capable loading or saving: {found}"


def _is_torch(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "torch"
    )


def test_trust_remote_code_is_explicit_and_never_true(trees) -> None:
    checked = 0
    for path, tree in trees.items():
        for call in calls(tree, "from_pretrained"):
            value = keyword(call, "trust_remote_code")
            assert value is not None, f"{where(path, call)}: pass trust_remote_code=False"
            assert not (isinstance(value, ast.Constant) and value.value is not False), where(
                path, call
            )
            checked += 1
    assert checked >= 4
    assert inspect.signature(load_model).parameters["trust_remote_code"].default is False


HTTP_CLIENTS = (
    "urlopen",  # urllib
    "HttpClient",  # chromadb
    "AsyncHttpClient",
    "OpenAI",  # openai
    "AsyncOpenAI",
    "Client",  # httpx
    "AsyncClient",
)


def test_http_clients_only_where_a_url_is_given(trees) -> None:
    users = {
        str(path.relative_to(ROOT))
        for path, tree in trees.items()
        for name in HTTP_CLIENTS
        if calls(tree, name)
    }
    assert users == {
        "lift_memory/qa/openai_endpoint.py",
        "cli/lift_memory_cli/core/qa_source.py",
        "integrations/llama_index/memory/lift/retrieval.py",
    }
    from lift_memory_cli.core.qa_source import RetryingEndpointQAGenerator
    from llama_index.memory.lift.retrieval import chroma_client

    from lift_memory.qa.openai_endpoint import OpenAIQAGenerator

    # the endpoint's URL has no default, and Chroma goes to a server only when given one
    for generator in (OpenAIQAGenerator, RetryingEndpointQAGenerator):
        assert inspect.signature(generator).parameters["base_url"].default is inspect._empty
    source = inspect.getsource(chroma_client)
    assert source.index("if url:") < source.index("HttpClient(")
    # the openai client is made only with that URL: without base_url it would go to api.openai.com
    tree = trees[ROOT / "cli" / "lift_memory_cli" / "core" / "qa_source.py"]
    clients = calls(tree, "OpenAI") + calls(tree, "AsyncOpenAI")
    assert clients, "the endpoint's openai client moved: check it here"
    for call in clients:
        url = keyword(call, "base_url")
        assert isinstance(url, ast.Attribute) and url.attr == "base_url", where(
            ROOT / "cli" / "lift_memory_cli" / "core" / "qa_source.py", call
        )


def test_ingest_and_ask_open_no_network_connection(tmp_path, monkeypatch) -> None:
    """A whole CLI ingest with the Chroma arm, then a hybrid ask: not one connection."""
    attempts: list[str] = []

    def refuse(*args, **_kwargs):
        attempts.append(repr(args[1:] if args and isinstance(args[0], socket.socket) else args))
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    notes = tmp_path / "notes.txt"
    notes.write_text("Ilse Marrick keeps the lighthouse on Varrow Point since 1887.")
    config = tmp_path / "tiny.json"
    config.write_text(
        json.dumps(
            {
                "segment_length": 64,
                "segment_stride": 32,
                "context_window": 48,
                "stage1_epochs": 1,
                "stage2_epochs": 1,
                "qa_count": 2,
                "qa_generator": "cloze",
                "retention_samples": 1,
            }
        )
    )
    home = ["--home", str(tmp_path / "home")]
    ingested = CliRunner().invoke(
        app,
        [
            *home,
            "ingest",
            str(notes),
            "--name",
            "notes",
            "--model",
            "tiny-llama",
            "--config",
            str(config),
        ],
    )
    assert ingested.exit_code == 0, ingested.output
    asked = CliRunner().invoke(app, [*home, "ask", "notes", "Who keeps it?", "--mode", "hybrid"])
    assert asked.exit_code == 0, asked.output
    assert attempts == []
    with pytest.raises(OSError):  # the guard does catch a connection (positive control)
        urllib.request.urlopen("http://127.0.0.1:9", timeout=1)
    assert attempts
