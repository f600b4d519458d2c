"""OpenAI conformance of `lift-memory serve`, driven by the official openai client: usage,
finish_reason, stop, the include_usage chunk, 400s for out-of-range and unsupported fields, the
conversation within the context window, /v1/completions, /health, and one resident base model
shared by two memories (asserted on the model cache's bookkeeping)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from lift_memory_cli.core.conversation import Turn, conversation_ids
from openai.types import Completion
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from serving import QUESTIONS, RunningServer, build_home

from lift_memory.answer import generate_reply
from lift_memory.memory import LiftMemory
from lift_memory.prompts import question_prompt
from lift_memory.store import MemoryStore
from lift_memory.tiny import tiny_model

QUESTION = QUESTIONS[0]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("conformance"))


@pytest.fixture(scope="module")
def server(home) -> Iterator[RunningServer]:
    running = RunningServer(home)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return server.client()


def chat(client: openai.OpenAI, **body: Any) -> ChatCompletion:
    body.setdefault("model", "lift:notes")
    body.setdefault("messages", [{"role": "user", "content": QUESTION}])
    return client.chat.completions.create(**body)


def chat_stream(client: openai.OpenAI, **body: Any) -> list[ChatCompletionChunk]:
    return list(chat(client, stream=True, **body))


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def in_process(home: Path, name: str, messages: list[dict[str, str]], max_tokens: int) -> str:
    """The memory's greedy reply to ``messages``, built without the server's code."""
    memory = LiftMemory.load(name, store=MemoryStore(home), model=tiny_model("llama"))
    try:
        *earlier, last = messages
        turns = [*earlier, {"role": "user", "content": question_prompt(last["content"])}]
        ids = memory.loaded.tokenizer.apply_chat_template(
            turns, add_generation_prompt=True, tokenize=True
        )
        if not isinstance(ids, list):
            ids = ids["input_ids"]
        return generate_reply(
            memory.loaded, list(ids), adapter=memory.adapter, max_new_tokens=max_tokens
        ).text
    finally:
        memory.detach()


def test_usage_and_finish_reason_length(client) -> None:
    short = chat(client, max_tokens=2)
    assert isinstance(short, ChatCompletion)
    assert short.choices[0].finish_reason == "length"
    assert short.usage is not None and short.usage.completion_tokens == 2
    assert short.usage.prompt_tokens > len(QUESTION)  # byte tokens: the question + template
    assert short.usage.total_tokens == short.usage.prompt_tokens + 2
    longer = chat(client, max_tokens=12)
    assert longer.usage is not None and longer.usage.prompt_tokens == short.usage.prompt_tokens
    assert longer.choices[0].message.content.startswith(short.choices[0].message.content)
    # max_completion_tokens (the newer name) wins over max_tokens
    newer = chat(client, max_tokens=12, max_completion_tokens=2)
    assert newer.usage is not None and newer.usage.completion_tokens == 2


def test_stop_cuts_the_answer_streamed_or_not(client) -> None:
    full = chat(client, max_tokens=12).choices[0].message.content
    assert len(full) >= 4, full
    stop = full[2:4]
    cut = full[: full.index(stop)]
    stopped = chat(client, max_tokens=12, stop=[stop, "never-there"])
    assert stopped.choices[0].message.content == cut
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.usage is not None and stopped.usage.completion_tokens == len(cut.encode())
    chunks = chat_stream(client, max_tokens=12, stop=stop)
    assert text_of(chunks) == cut
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_include_usage_sends_a_last_chunk_with_the_usage(client) -> None:
    plain = chat(client, max_tokens=6)
    chunks = chat_stream(client, max_tokens=6, stream_options={"include_usage": True})
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.model_dump() == plain.usage.model_dump()
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == plain.choices[0].finish_reason
    assert text_of(chunks) == plain.choices[0].message.content
    # without include_usage there is no usage chunk
    assert all(c.choices for c in chat_stream(client, max_tokens=6))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"temperature": 5}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"presence_penalty": -3}, "presence_penalty"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
            "tools",
        ),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
    ],
)
def test_out_of_range_and_unsupported_fields_are_400s(client, body, param) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        chat(client, **body)
    error = caught.value.response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert error["message"] and "\n" not in error["message"]


def test_accepted_fields_answer_as_usual(client) -> None:
    plain = chat(client, max_tokens=6).choices[0].message.content
    tolerated = chat(
        client,
        max_tokens=6,
        temperature=0.7,
        top_p=0.9,
        seed=3,
        user="u-1",
        n=1,
        response_format={"type": "text"},
        tool_choice="none",
    )
    assert tolerated.choices[0].message.content == plain  # greedy: sampling fields do not apply


def test_system_message_and_earlier_turns_reach_the_model(client, home) -> None:
    messages = [
        {"role": "system", "content": "You keep lighthouses."},
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "Hello, keeper."},
        {"role": "user", "content": QUESTION},
    ]
    answer = chat(client, messages=messages, max_tokens=8)
    assert answer.choices[0].message.content == in_process(home, "notes", messages, 8)
    alone = chat(client, max_tokens=8)
    assert answer.usage.prompt_tokens > alone.usage.prompt_tokens + 40


def test_the_oldest_turns_give_way_to_the_context_window(client, home) -> None:
    turn = "x" * 600  # the tiny model's tokenizer is byte-level: 600 tokens
    history = [{"role": "system", "content": "Be brief."}]
    for _ in range(4):
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": turn}]
    messages = [*history, {"role": "user", "content": QUESTION}]  # ~4,900 tokens > 4,096
    answer = chat(client, messages=messages, max_tokens=8)
    assert answer.usage.prompt_tokens <= 4096 - 8
    memory = LiftMemory.load("notes", store=MemoryStore(home), model=tiny_model("llama"))
    try:
        kept = conversation_ids(
            memory.loaded.tokenizer,
            [Turn(m["role"], m["content"]) for m in history],
            question_prompt(QUESTION),
            budget=4096 - 8,
        )
    finally:
        memory.detach()
    assert answer.usage.prompt_tokens == len(kept)
    too_long = [{"role": "system", "content": "y" * 5000}, {"role": "user", "content": QUESTION}]
    with pytest.raises(openai.BadRequestError) as caught:
        chat(client, messages=too_long, max_tokens=8)
    assert caught.value.response.json()["error"]["code"] == "context_length_exceeded"


def test_text_completions_continue_the_prompt(client) -> None:
    prompt = "The lighthouse on Varrow Point"
    result = client.completions.create(model="lift:notes", prompt=prompt, max_tokens=6)
    assert isinstance(result, Completion) and result.object == "text_completion"
    choice = result.choices[0]
    assert choice.finish_reason == "length" and len(choice.text) > 0
    assert result.usage is not None and result.usage.completion_tokens == 6
    assert result.usage.prompt_tokens >= len(prompt)
    base = client.completions.create(model="tiny-llama", prompt=prompt, max_tokens=6)
    off = client.completions.create(
        model="lift:notes", prompt=prompt, max_tokens=6, extra_body={"lift_mode": "base"}
    )
    assert off.choices[0].text == base.choices[0].text
    chunks = list(
        client.completions.create(
            model="lift:notes",
            prompt=prompt,
            max_tokens=6,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == choice.text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6
    stop = choice.text[1:3]
    stopped = client.completions.create(model="lift:notes", prompt=prompt, max_tokens=6, stop=stop)
    assert stopped.choices[0].text == choice.text[: choice.text.index(stop)]
    assert stopped.choices[0].finish_reason == "stop"
    for body, param in (({"echo": True}, "echo"), ({"n": 3}, "n"), ({"logprobs": 2}, "logprobs")):
        with pytest.raises(openai.BadRequestError) as caught:
            client.completions.create(model="lift:notes", prompt=prompt, **body)
        assert caught.value.response.json()["error"]["param"] == param
    with pytest.raises(openai.BadRequestError, match="lift_mode"):
        client.completions.create(
            model="lift:notes", prompt=prompt, extra_body={"lift_mode": "hybrid"}
        )


def test_health(server) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_two_memories_share_one_resident_base_model(client, server, home) -> None:
    expected = {
        name: in_process(home, name, [{"role": "user", "content": QUESTION}], 8)
        for name in ("notes", "ferry")
    }
    assert expected["notes"] != expected["ferry"]
    for model in ("lift:notes", "lift:ferry", "tiny-llama", "lift:notes", "lift:ferry"):
        answer = chat(client, model=model, max_tokens=8).choices[0].message.content
        if model != "tiny-llama":
            assert answer == expected[model.removeprefix("lift:")], model
    cache = server.app.state.models
    assert cache.resident_bases() == {"tiny-llama": ["lift:ferry", "lift:notes", "tiny-llama"]}
    served = [cache.get(model) for model in ("lift:notes", "lift:ferry", "tiny-llama")]
    assert len({id(s.loaded) for s in served}) == 1  # one model object behind all three
    cache.evict("lift:notes")
    cache.evict("lift:ferry")
    cache.evict("tiny-llama")
    assert cache.resident_bases() == {}  # released with its last user
