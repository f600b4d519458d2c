"""`lift-memory serve`: the real server (uvicorn, in a thread) driven by the official openai client:
models, answers in every mode, streaming, errors, the API key, concurrency, memory management
and ingest jobs (the store and server helpers are in ``tests/serving.py``; OpenAI conformance is
tests/test_serve_conformance.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from lift_memory_cli.server import jobs
from serving import API_KEY, CONFIG, QUESTIONS, TEXT, TOKENS, RunningServer, build_home

from lift_memory.memory import LiftMemory
from lift_memory.store import MemoryStore
from lift_memory.tiny import tiny_model


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def server(home) -> Iterator[RunningServer]:
    running = RunningServer(home)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def expected(home) -> dict[str, dict[str, str]]:
    """In-process greedy answers: the memory's, and the bare base model's."""
    memory = LiftMemory.load("notes", store=MemoryStore(home), model=tiny_model("llama"))
    try:
        return {
            "memory": {q: memory.ask(q, max_new_tokens=TOKENS).text for q in QUESTIONS},
            "base": {
                q: memory.ask(q, max_new_tokens=TOKENS, use_memory=False).text for q in QUESTIONS
            },
        }
    finally:
        memory.detach()


def ask(client: openai.OpenAI, model: str, question: str, **extra: Any) -> Any:
    return client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": question}],
        max_tokens=TOKENS,
        extra_body=extra or None,
    )


def ask_streaming(client: openai.OpenAI, model: str, question: str, **extra: Any) -> list[Any]:
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": question}],
        max_tokens=TOKENS,
        stream=True,
        extra_body=extra or None,
    )
    return list(stream)


def streamed_text(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_models_lists_the_base_model_and_every_complete_memory(server, home) -> None:
    models = server.client().models.list()
    assert [m.id for m in models] == ["tiny-llama", "lift:ferry", "lift:notes"]
    assert all(m.object == "model" and m.owned_by == "lift-memory" for m in models)
    assert models.data[2].model_extra["parent"] == "tiny-llama"
    assert server.client().models.retrieve("lift:notes").id == "lift:notes"


def test_completion_answers_from_the_memory(server, expected) -> None:
    client = server.client()
    for question in QUESTIONS[:2]:
        memory = ask(client, "lift:notes", question)
        base = ask(client, "tiny-llama", question)
        assert memory.object == "chat.completion" and memory.model == "lift:notes"
        answer = memory.choices[0].message.content
        assert answer == expected["memory"][question]  # what LiftMemory.ask gives in-process
        assert base.choices[0].message.content == expected["base"][question]
        assert answer != base.choices[0].message.content  # the memory changed the answer
        lift = memory.model_extra["lift"]
        assert lift["memory"] == "notes" and lift["mode"] == "auto"  # the default: routed
        assert lift["route"]["route"] == "memory"  # a question about the memory's text
        assert lift["mean_gate"] is not None and 0 < lift["confidence"] <= 1
        # lift_mode base on the memory switches it off: the base model's answer
        off = ask(client, "lift:notes", question, lift_mode="base")
        assert off.choices[0].message.content == expected["base"][question]


def test_streaming_sends_the_same_answer_in_openai_chunks(server, expected) -> None:
    client = server.client()
    question = QUESTIONS[0]
    chunks = ask_streaming(client, "lift:notes", question)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len([c for c in chunks if c.choices[0].delta.content]) > 1  # token by token
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert chunks[-1].model_extra["lift"]["route"]["route"] == "memory"
    assert streamed_text(chunks) == expected["memory"][question]
    base = ask_streaming(client, "tiny-llama", question)
    assert streamed_text(base) == expected["base"][question]


def test_hybrid_mode_carries_both_arms(server, expected) -> None:
    client = server.client()
    question = QUESTIONS[0]
    result = ask(client, "lift:notes", question, lift_mode="hybrid", lift_policy="retrieval-first")
    lift = result.model_extra["lift"]
    assert lift["mode"] == "hybrid" and lift["chosen"] == "retrieval"
    assert set(lift["arms"]) == {"memory", "retrieval"}
    assert lift["arms"]["memory"]["answer"] == expected["memory"][question]
    assert result.choices[0].message.content == lift["arms"]["retrieval"]["answer"]
    assert lift["sources"] and lift["sources"][0]["text"]
    chunks = ask_streaming(client, "lift:notes", question, lift_mode="hybrid")
    final = chunks[-1].model_extra["lift"]
    assert streamed_text(chunks) == final["arms"][final["chosen"]]["answer"]


def test_unknown_model_is_a_404_with_an_openai_error_body(server) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        ask(server.client(), "lift:nope", "Who?")
    error = caught.value.response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    assert error["code"] == "model_not_found" and error["type"] == "invalid_request_error"
    assert "lift:nope" in error["message"]
    for model in ("gpt-4o", "lift:../etc"):
        response = httpx.post(
            f"{server.url}/v1/chat/completions",
            json={"model": model, "messages": [{"role": "user", "content": "Q?"}], "stream": True},
        )
        assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        server.client().models.retrieve("lift:nope")


def test_bad_requests_are_400s(server) -> None:
    client = server.client()
    with pytest.raises(openai.BadRequestError, match="unknown lift_mode"):
        ask(client, "lift:notes", "Who?", lift_mode="oracle")
    with pytest.raises(openai.BadRequestError, match="base model"):
        ask(client, "tiny-llama", "Who?", lift_mode="memory")
    with pytest.raises(openai.BadRequestError, match="last message must be the user's"):
        client.chat.completions.create(
            model="lift:notes", messages=[{"role": "system", "content": "Hi"}]
        )
    response = httpx.post(f"{server.url}/v1/chat/completions", json={"model": "lift:notes"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "messages"


def test_api_key_is_required_on_every_request_when_set(home) -> None:
    running = RunningServer(home, api_key=API_KEY)
    try:
        with pytest.raises(openai.AuthenticationError) as caught:
            running.client("sk-wrong").models.list()
        error = caught.value.response.json()["error"]
        assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
        for method, path in (
            ("GET", "/v1/models"),
            ("POST", "/v1/chat/completions"),
            ("GET", "/v1/memories"),
            ("DELETE", "/v1/memories/notes"),
            ("GET", "/docs"),
        ):
            response = httpx.request(method, running.url + path, json={})
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "invalid_api_key"
        assert [m.id for m in running.client(API_KEY).models.list()] == [
            "tiny-llama",
            "lift:ferry",
            "lift:notes",
        ]
        assert httpx.get(running.url + "/health").json()["status"] == "ok"  # no key needed
        assert ask(running.client(API_KEY), "tiny-llama", "Who?").choices[0].message.content
    finally:
        running.stop()
    assert MemoryStore(home).exists("notes")  # the unauthorised DELETE did nothing


def test_sixteen_concurrent_requests_get_the_sequential_answers(server, expected) -> None:
    client = server.client()
    requests = [
        (model, question, stream)
        for question in QUESTIONS
        for model in ("lift:notes", "tiny-llama")
        for stream in (False, True)
    ]
    assert len(requests) == 16

    def one(request: tuple[str, str, bool]) -> str:
        model, question, stream = request
        if stream:
            return streamed_text(ask_streaming(client, model, question))
        return ask(client, model, question).choices[0].message.content

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(one, requests))
    for (model, question, _), answer in zip(requests, answers, strict=True):
        arm = "memory" if model == "lift:notes" else "base"
        assert answer == expected[arm][question], (model, question)


def wait_for(url: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while (status := httpx.get(f"{url}/v1/memories/jobs/{job_id}").json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, status
        time.sleep(0.25)
    return status


def test_memory_endpoints_list_info_and_unknown_names(server) -> None:
    base = f"{server.url}/v1/memories"
    listed = httpx.get(base).json()
    assert listed["object"] == "list" and listed["problems"] == []
    notes = next(m for m in listed["data"] if m["id"] == "lift:notes")
    assert notes["status"] == "complete" and notes["rag_chunks"] >= 1
    info = httpx.get(f"{base}/notes").json()
    assert info["name"] == "notes" and info["base_model"] == "tiny-llama"
    assert info["path"].endswith("memories/notes") and info["metrics"]["final_loss"] > 0
    missing = httpx.get(f"{base}/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "memory_not_found"
    assert httpx.delete(f"{base}/nope").status_code == 404
    assert httpx.get(f"{base}/jobs/ingest-nope").json()["error"]["code"] == "job_not_found"


def test_ingest_jobs_train_in_the_background_then_delete(server, expected) -> None:
    base = f"{server.url}/v1/memories"
    body = {
        "name": "fresh",
        "documents": [{"text": TEXT, "source": "notes.txt"}],
        "model": "tiny-llama",
        "config": {**CONFIG, "stage1_epochs": 1, "stage2_epochs": 1},
        "rag": False,
    }
    started = httpx.post(base, json=body)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["object"] == "ingest.job" and job["status"] in ("queued", "running")
    assert started.headers["location"] == f"/v1/memories/jobs/{job['id']}"

    # the ingest trains in another process: queries are answered meanwhile
    answer = ask(server.client(), "lift:notes", QUESTIONS[0]).choices[0].message.content
    assert answer == expected["memory"][QUESTIONS[0]]
    assert httpx.get(f"{base}/jobs/{job['id']}").json()["status"] in ("queued", "running")
    again = httpx.post(base, json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    status = wait_for(server.url, job["id"])
    assert status["status"] == "succeeded", status
    assert status["result"]["name"] == "fresh" and status["result"]["status"] == "complete"
    assert status["progress"]["step"] == status["progress"]["total_steps"]
    assert "lift:fresh" in [m.id for m in server.client().models.list()]
    fresh = ask(server.client(), "lift:fresh", QUESTIONS[0])
    assert fresh.choices[0].message.content == fresh.model_extra["lift"]["answer"]
    with pytest.raises(openai.BadRequestError, match="no retrieval arm"):
        ask(server.client(), "lift:fresh", QUESTIONS[0], lift_mode="rag")

    exists = httpx.post(base, json=body)
    assert exists.status_code == 409 and exists.json()["error"]["code"] == "memory_exists"
    bad = httpx.post(base, json={**body, "name": "other", "config": {"segment_stride": 0}})
    assert bad.status_code == 400 and "segment_stride" in bad.json()["error"]["message"]
    assert httpx.post(base, json={**body, "name": "a/b"}).status_code == 400

    deleted = httpx.delete(f"{base}/fresh")
    assert deleted.json() == {"id": "lift:fresh", "object": "memory", "deleted": True}
    assert httpx.get(f"{base}/fresh").status_code == 404
    with pytest.raises(openai.NotFoundError):
        ask(server.client(), "lift:fresh", QUESTIONS[0])


def test_a_failing_ingest_worker_fails_its_job_with_one_line(server, monkeypatch) -> None:
    # A worker that dies at once (a missing module) stands for any crash: spawning the real
    # worker costs a torch import, and its one-line errors are the CLI's (tested there).
    monkeypatch.setattr(jobs, "WORKER_MODULE", "lift_memory_cli.server.no_such_worker")
    body = {"name": "broken", "documents": [{"text": TEXT}], "model": "tiny-llama"}
    job = httpx.post(f"{server.url}/v1/memories", json=body).json()
    status = wait_for(server.url, job["id"])
    assert status["status"] == "failed" and "no_such_worker" in status["error"]
    assert "\n" not in status["error"] and status["result"] is None
