"""The Chroma retrieval arm: embedded persistent Chroma, a new process, a real Chroma server."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from llama_index.memory.lift import ChromaRetrievalArm, MiniLMEmbedding, collection_name_for

from lift_memory import Document, MemoryStore

FERRY = Document(
    "harbour.txt",
    "The ferry Silver Heron sails from Kelby to Varnholm every Tuesday. "
    "The harbour master of Kelby is Pell Androw, who has kept the harbour since 1990.",
)
MARKETS = Document(
    "markets.txt", "Copper prices rose for the third week as mines in the north closed for repairs."
)
QUESTION = "Which ferry sails to Varnholm?"


@pytest.fixture(scope="module")
def embed_model() -> MiniLMEmbedding:
    return MiniLMEmbedding()


def test_collection_names_follow_chroma_rules() -> None:
    for name in ("notes", "a", "chat.v2", "memory-", "x_"):
        assert re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]", collection_name_for(name)
        )
    assert collection_name_for("memory-") != collection_name_for("memory")


def test_persistent_arm_retrieves_and_replaces_documents(tmp_path, embed_model) -> None:
    store = MemoryStore(tmp_path / "home")
    arm = ChromaRetrievalArm.for_memory("notes", store=store, embed_model=embed_model)
    assert arm.retrieve(QUESTION) == []  # empty collection
    assert arm.add_documents([FERRY, MARKETS]) == 2
    assert arm.add_documents([FERRY]) == 1  # the same text again replaces its chunks
    assert arm.count() == 2
    nodes = arm.retrieve(QUESTION)
    assert "Silver Heron" in nodes[0].node.get_content()
    assert nodes[0].node.metadata["source"] == "harbour.txt"
    best, other = (arm.cosine_similarity(n) for n in nodes)
    assert best > 0.5 > other
    assert Path(arm.path) == store.chroma_dir("notes")
    assert arm.describe()["chunks"] == 2


def test_persistent_collection_reopens_in_a_new_process(tmp_path, embed_model) -> None:
    store = MemoryStore(tmp_path / "home")
    ChromaRetrievalArm.for_memory("notes", store=store, embed_model=embed_model).add_documents(
        [FERRY, MARKETS]
    )
    script = textwrap.dedent(
        f"""
        import json
        from lift_memory import MemoryStore
        from llama_index.memory.lift import ChromaRetrievalArm
        arm = ChromaRetrievalArm.for_memory("notes", store=MemoryStore({str(store.home)!r}))
        nodes = arm.retrieve({QUESTION!r})
        # Chroma itself embeds query texts with the registered function, offline
        raw = arm.collection.query(query_texts=[{QUESTION!r}], n_results=1)
        print(json.dumps({{"count": arm.count(), "top": nodes[0].node.get_content(),
                          "chroma_top": raw["documents"][0][0]}}))
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["count"] == 2
    assert "Silver Heron" in result["top"]
    assert "Silver Heron" in result["chroma_top"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    """A real Chroma server (`chroma run`) on 127.0.0.1, stopped after the test."""
    import chromadb

    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (tmp_path / "chroma.log").open("w")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1"]
        + ["--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "chroma.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_arm_on_a_chroma_server_through_its_url(tmp_path, chroma_server, embed_model) -> None:
    store = MemoryStore(tmp_path / "home")
    arm = ChromaRetrievalArm.for_memory(
        "notes", store=store, url=chroma_server, embed_model=embed_model
    )
    assert arm.path is None
    assert arm.add_documents([FERRY, MARKETS]) == 2
    assert not store.chroma_dir("notes").exists()  # nothing written locally
    # a second client sees the same collection on the server
    again = ChromaRetrievalArm.for_memory("notes", url=chroma_server, embed_model=embed_model)
    assert again.count() == 2
    assert "Silver Heron" in again.retrieve(QUESTION)[0].node.get_content()
