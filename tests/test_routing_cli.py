"""Relevance routing through the commands and the server (tiny model): the ingest step that
records the calibration (and `--resume` adding it), `info`, `ask` / `compare` in their default
``auto`` mode, and the server's chat and text completions (default auto, the route in
``lift``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lift_memory_cli.app import app
from lift_memory_cli.server import create_app
from llama_index.memory.lift.relevance_rule import RELEVANCE_RULE_VERSION
from typer.testing import CliRunner

from lift_memory.qa import read_qa_jsonl
from lift_memory.store import MemoryStore

CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 1,
    "qa_count": 3,
    "qa_generator": "cloze",
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}
TEXT = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889."
)
OUT_OF_SCOPE = "What is the capital of Japan?"


def run(home: Path, *args: str, input: str | None = None):
    result = CliRunner().invoke(app, ["--home", str(home), *args], input=input)
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("routing")
    (root / "notes.txt").write_text(TEXT)
    (root / "tiny.json").write_text(json.dumps(CONFIG))
    return {"root": root, "notes": root / "notes.txt", "config": root / "tiny.json"}


def ingest(home: Path, files: dict[str, Path], name: str, *extra: str):
    return run(
        home,
        "ingest",
        str(files["notes"]),
        "--name",
        name,
        "--model",
        "tiny-llama",
        "--config",
        str(files["config"]),
        "--json",
        *extra,
    )


@pytest.fixture(scope="module")
def home(files) -> Path:
    home = files["root"] / "home"
    result = ingest(home, files, "notes")
    assert result.exit_code == 0, result.output
    routing = json.loads(result.stdout)["routing"]
    assert routing["score_kind"] and routing["out_of_scope_count"] >= 100
    return home


def training_question(home: Path) -> str:
    return read_qa_jsonl(MemoryStore(home).qa_path("notes"))[0].question


def ask_json(home: Path, question: str, *args: str) -> dict:
    result = run(home, "ask", "notes", question, "--json", "--max-new-tokens", "4", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_records_the_calibration_and_info_shows_it(home) -> None:
    manifest = MemoryStore(home).read_manifest("notes")
    routing = manifest.extra["routing"]
    assert {"threshold", "auc", "in_scope_rate", "out_of_scope_rate", "hybrid"} <= set(routing)
    assert routing["in_scope_count"] == len(read_qa_jsonl(MemoryStore(home).qa_path("notes")))
    text = run(home, "info", "notes").stdout
    assert "routing" in text and "ROC AUC" in text and "hybrid arms right" in text
    details = json.loads(run(home, "info", "notes", "--json").stdout)
    assert details["extra"]["routing"]["threshold"] == routing["threshold"]


def test_ask_defaults_to_auto_and_says_which_route_and_why(home) -> None:
    outside = ask_json(home, OUT_OF_SCOPE)
    assert outside["mode"] == "auto" and outside["route"]["route"] == "base"
    assert {"score", "threshold", "reason", "score_kind"} <= set(outside["route"])
    assert outside["answer"] == ask_json(home, OUT_OF_SCOPE, "--mode", "base")["answer"]
    assert outside["mean_gate"] is None  # the memory was off
    question = training_question(home)
    inside = ask_json(home, question)
    assert inside["route"]["route"] == "memory"
    assert inside["answer"] == ask_json(home, question, "--mode", "memory")["answer"]
    assert "route" not in ask_json(home, question, "--mode", "memory")  # forced: no routing
    shown = run(home, "ask", "notes", OUT_OF_SCOPE, "--max-new-tokens", "4")
    assert "route base:" in shown.stderr and "threshold" in shown.stderr


def test_ask_soft_scaling_and_a_bad_scaling(home) -> None:
    soft = ask_json(home, training_question(home), "--scaling", "soft")
    assert soft["route"]["scaling"] == "soft" and 0 < soft["route"]["gate_scale"] <= 1
    bad = run(home, "ask", "notes", "Who?", "--scaling", "gentle")
    assert bad.exit_code == 1 and "unknown scaling 'gentle'" in bad.stderr


def test_hybrid_defaults_to_the_calibrated_policy_with_three_arms(home) -> None:
    data = ask_json(home, training_question(home), "--mode", "hybrid")
    assert data["policy"] == "CalibratedPolicy"
    assert set(data["arms"]) == {"memory", "retrieval", "combined"}
    assert data["route"]["route"] in ("memory", "base")  # relevance, from the same retrieval


def test_compare_answers_in_auto_mode_by_default(home) -> None:
    result = run(home, "compare", "notes", OUT_OF_SCOPE, "--json", "--max-new-tokens", "3")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["modes"][-1] == "auto"
    cell = report["questions"][0]["results"]["auto"]
    assert cell["route"]["route"] == "base"
    assert cell["answer"] == report["questions"][0]["results"]["base"]["answer"]


def test_resume_adds_the_calibration_to_a_complete_memory(home, files, tmp_path) -> None:
    plain = ingest(tmp_path, files, "plain", "--no-rag")
    assert plain.exit_code == 0 and json.loads(plain.stdout)["routing"] is None
    # without a retrieval arm there is nothing to score with: auto answers with the memory
    auto = run(tmp_path, "ask", "plain", OUT_OF_SCOPE, "--json", "--max-new-tokens", "3")
    assert json.loads(auto.stdout)["route"]["route"] == "memory"
    resumed = ingest(tmp_path, files, "plain", "--resume")
    assert resumed.exit_code == 0, resumed.output
    data = json.loads(resumed.stdout)
    assert data["rag"]["chunks"] >= 1 and data["routing"]["threshold"] is not None
    # a complete memory with its arm but no calibration: --resume only calibrates
    store = MemoryStore(tmp_path)
    manifest = store.read_manifest("plain")
    extra = {k: v for k, v in manifest.extra.items() if k != "routing"}
    store.write_manifest(manifest.model_copy(update={"extra": extra}))
    again = ingest(tmp_path, files, "plain", "--resume")
    assert again.exit_code == 0, again.output
    assert "routing" in store.read_manifest("plain").extra
    done = ingest(tmp_path, files, "plain", "--resume")
    assert done.exit_code == 1 and "already complete" in done.stderr
    # a calibration made under an older relevance rule still routes, `info` says it is stale,
    # and --resume redoes it
    manifest = store.read_manifest("plain")
    old = {k: v for k, v in manifest.extra["routing"].items() if k != "relevance_rule"}
    store.write_manifest(manifest.model_copy(update={"extra": {**manifest.extra, "routing": old}}))
    stale = run(tmp_path, "info", "plain")
    assert f"this version scores with rule {RELEVANCE_RULE_VERSION}" in stale.stdout
    routed = run(tmp_path, "ask", "plain", OUT_OF_SCOPE, "--json", "--max-new-tokens", "3")
    assert json.loads(routed.stdout)["route"]["threshold"] == old["threshold"]
    recalibrated = ingest(tmp_path, files, "plain", "--resume")
    assert recalibrated.exit_code == 0, recalibrated.output
    routing = store.read_manifest("plain").extra["routing"]
    assert routing["relevance_rule"] == RELEVANCE_RULE_VERSION
    assert "recalibrates" not in run(tmp_path, "info", "plain").stdout


@pytest.fixture(scope="module")
def client(home):
    with TestClient(create_app(home, base_model="tiny-llama")) as client:
        yield client


def chat(client: TestClient, question: str, **extra) -> dict:
    body = {
        "model": "lift:notes",
        "messages": [{"role": "user", "content": question}],
        "max_tokens": 4,
        **extra,
    }
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_server_answers_in_auto_mode_by_default(client, home) -> None:
    outside = chat(client, OUT_OF_SCOPE)
    lift = outside["lift"]
    assert lift["mode"] == "auto" and lift["route"]["route"] == "base"
    base = chat(client, OUT_OF_SCOPE, lift_mode="base")
    assert outside["choices"][0]["message"]["content"] == base["choices"][0]["message"]["content"]
    inside = chat(client, training_question(home))
    assert inside["lift"]["route"]["route"] == "memory"
    forced = chat(client, OUT_OF_SCOPE, lift_mode="memory")
    assert forced["lift"]["mode"] == "memory" and "route" not in forced["lift"]


def test_server_streams_auto_answers_with_their_route(client) -> None:
    body = {
        "model": "lift:notes",
        "messages": [{"role": "user", "content": OUT_OF_SCOPE}],
        "max_tokens": 4,
        "stream": True,
    }
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    last = json.loads(lines[-1].removeprefix("data: "))
    assert last["lift"]["route"]["route"] == "base"


def test_server_continues_text_in_auto_mode_by_default(client, home) -> None:
    body = {"model": "lift:notes", "prompt": OUT_OF_SCOPE, "max_tokens": 4}
    routed = client.post("/v1/completions", json=body)
    assert routed.status_code == 200, routed.text
    lift = routed.json()["lift"]
    assert lift["mode"] == "auto" and lift["route"]["route"] == "base"
    base = client.post("/v1/completions", json={**body, "lift_mode": "base"}).json()
    assert routed.json()["choices"][0]["text"] == base["choices"][0]["text"]
    assert base["lift"] == {"memory": "notes", "mode": "base"}
    inside = client.post("/v1/completions", json={**body, "prompt": training_question(home)})
    assert inside.json()["lift"]["route"]["route"] == "memory"
    gentle = client.post("/v1/completions", json={**body, "lift_scaling": "gentle"})
    assert gentle.status_code == 400 and "lift_scaling" in gentle.text


def test_server_refuses_an_unknown_scaling(client) -> None:
    body = {
        "model": "lift:notes",
        "messages": [{"role": "user", "content": "Who?"}],
        "lift_scaling": "gentle",
    }
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400 and "lift_scaling" in response.text
