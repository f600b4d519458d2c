"""The retrieval arm: a Chroma collection per memory, built and queried through LlamaIndex,
and the retrieval step of every RAG answer over it or over any LlamaIndex retriever.

Documents are chunked with ``SentenceSplitter``, embedded with :class:`MiniLMEmbedding` and kept
in a ``ChromaVectorStore`` over an explicit collection (``ChromaVectorStore(persist_dir=...)``
does not persist anything by itself). Chroma runs embedded and persistent under the memory's
directory by default (``<home>/memories/<name>/chroma``), or on a Chroma server when a URL is
given. Everything works offline.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from llama_index.core import Document as LlamaDocument
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding, similarity
from llama_index.core.bridge.pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore
from llama_index.memory.lift.embeddings import MiniLMChromaEmbeddingFunction, MiniLMEmbedding
from llama_index.vector_stores.chroma import ChromaVectorStore

from lift_memory.documents import Document
from lift_memory.store import MemoryStore

_COLLECTION_PREFIX = "lift-"


def collection_name_for(memory_name: str) -> str:
    """The Chroma collection of a memory: ``lift-<name>`` (made to satisfy Chroma's rules)."""
    name = _COLLECTION_PREFIX + memory_name
    if not name[-1].isalnum():  # Chroma names must end with a letter or digit
        name += hashlib.sha256(memory_name.encode()).hexdigest()[:8]
    return name


def chroma_client(path: str | None = None, url: str | None = None) -> Any:
    """An embedded persistent Chroma client at ``path``, or an HTTP client for ``url``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        ssl = parsed.scheme == "https"
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=settings,
        )
    if not path:
        raise ValueError("give a persistent Chroma path or a Chroma server URL")
    return chromadb.PersistentClient(path=path, settings=settings)


def _as_llama_documents(documents: Sequence[Document | LlamaDocument | str]) -> list[LlamaDocument]:
    converted = []
    for index, document in enumerate(documents):
        if isinstance(document, LlamaDocument):
            converted.append(document)
            continue
        source, text = (
            (document.source, document.text)
            if isinstance(document, Document)
            else (f"text-{index}", document)
        )
        converted.append(
            LlamaDocument(
                text=text,
                # the same text always gets the same id, so adding it again replaces it
                id_=hashlib.sha256(text.encode()).hexdigest()[:32],
                metadata={"source": source},
                excluded_embed_metadata_keys=["source"],
                excluded_llm_metadata_keys=["source"],
            )
        )
    return converted


class ChromaRetrievalArm(BaseModel):
    """A Chroma collection behind a LlamaIndex ``VectorStoreIndex``: add documents, retrieve.

    ``ChromaRetrievalArm.for_memory(name, store=store)`` is the collection of a memory; pass
    ``url="http://host:port"`` to use a Chroma server instead of the embedded store.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection_name: str = Field(description="Chroma collection name.")
    path: str | None = Field(default=None, description="Embedded persistent Chroma directory.")
    url: str | None = Field(default=None, description="Chroma server URL (wins over path).")
    embed_model: BaseEmbedding = Field(default_factory=MiniLMEmbedding)
    chunk_size: int = Field(default=256, gt=16, description="SentenceSplitter chunk size.")
    chunk_overlap: int = Field(default=32, ge=0)
    similarity_top_k: int = Field(default=2, gt=0)

    _client: Any = PrivateAttr(default=None)
    _collection: Any = PrivateAttr(default=None)
    _index: VectorStoreIndex | None = PrivateAttr(default=None)

    @classmethod
    def for_memory(
        cls, memory_name: str, *, store: MemoryStore | None = None, url: str | None = None, **kwargs
    ) -> ChromaRetrievalArm:
        """The retrieval arm of memory ``memory_name``: under its directory, or on ``url``."""
        store = store or MemoryStore()
        path = None if url else str(store.chroma_dir(memory_name))
        return cls(collection_name=collection_name_for(memory_name), path=path, url=url, **kwargs)

    # --- Chroma and LlamaIndex objects, opened on first use
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = chroma_client(self.path, self.url)
        return self._client

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = self.client.get_or_create_collection(
                self.collection_name,
                embedding_function=MiniLMChromaEmbeddingFunction(),
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collection

    @property
    def vector_store(self) -> ChromaVectorStore:
        return self.index.vector_store  # type: ignore[return-value]

    @property
    def index(self) -> VectorStoreIndex:
        if self._index is None:
            vector_store = ChromaVectorStore(chroma_collection=self.collection)
            self._index = VectorStoreIndex.from_vector_store(
                vector_store, embed_model=self.embed_model
            )
        return self._index

    # --- writing
    def add_documents(self, documents: Sequence[Document | LlamaDocument | str]) -> int:
        """Chunk, embed and store documents (a document added again replaces its chunks).

        Returns the number of chunks written.
        """
        converted = _as_llama_documents(documents)
        splitter = SentenceSplitter(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap)
        nodes = splitter.get_nodes_from_documents(converted)
        vector_store = ChromaVectorStore(chroma_collection=self.collection)
        for document in converted:
            vector_store.delete(document.doc_id)
        self.index.insert_nodes(nodes)
        return len(nodes)

    def count(self) -> int:
        """Chunks in the collection."""
        return int(self.collection.count())

    def delete_collection(self) -> None:
        self.client.delete_collection(self.collection_name)
        self._collection = None
        self._index = None

    def close(self) -> None:
        """Release the Chroma client. Chroma shares one embedded system per path within a
        process; a long-lived process (the server) must release it before the memory's folder
        is deleted or rebuilt, or a later client at that path gets the stale one."""
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()
        self._client = None
        self._collection = None
        self._index = None

    # --- reading
    def as_retriever(self, similarity_top_k: int | None = None) -> BaseRetriever:
        return self.index.as_retriever(similarity_top_k=similarity_top_k or self.similarity_top_k)

    def retrieve(self, query: str, similarity_top_k: int | None = None) -> list[NodeWithScore]:
        if self.count() == 0:
            return []
        return self.as_retriever(similarity_top_k).retrieve(query)

    def cosine_similarity(self, node: NodeWithScore) -> float:
        """The cosine similarity behind a node's score.

        ``ChromaVectorStore`` scores a hit as ``exp(-distance)``; this undoes that.
        """
        score = node.score if node.score is not None else 0.0
        return self._cosine_of(-math.log(score) if score > 0 else math.inf)

    def _cosine_of(self, distance: float) -> float:
        """Cosine similarity from the collection's distance (cosine and ip: 1 - cos; l2 on
        unit vectors: 2 - 2·cos)."""
        space = (self.collection.configuration or {}).get("hnsw", {}) or {}
        if space.get("space", "l2") == "l2":
            return 1.0 - distance / 2.0
        return 1.0 - distance

    def best_similarities(self, queries: Sequence[str]) -> list[float | None]:
        """Each query's cosine similarity to its closest chunk, with one batched embedding and
        one Chroma query for all (relevance calibration scores hundreds of questions); None
        for every query of an empty collection."""
        if not queries or self.count() == 0:
            return [None] * len(queries)
        embeddings = self.embed_model.get_text_embedding_batch(list(queries))
        found = self.collection.query(
            query_embeddings=embeddings, n_results=1, include=["distances"]
        )
        return [self._cosine_of(row[0]) if row else None for row in found["distances"]]

    def describe(self) -> dict[str, Any]:
        """Where the collection lives, for a manifest or a report."""
        return {
            "collection": self.collection_name,
            "path": self.path,
            "url": self.url,
            "embedding": MiniLMChromaEmbeddingFunction.name(),
            "chunk_size": self.chunk_size,
            "chunks": self.count(),
        }


def passage_text(node: NodeWithScore) -> str:
    return node.node.get_content(metadata_mode=MetadataMode.NONE)


def source_record(node: NodeWithScore, similarity: float, text: str) -> dict[str, Any]:
    """A retrieved node as a JSON-able source: id, origin, score, similarity and text."""
    return {
        "node_id": node.node.node_id,
        "source": node.node.metadata.get("source"),
        "score": node.score,
        "similarity": similarity,
        "text": text,
    }


SimilaritySource = Literal["score", "embedding"]
"""Where a passage's similarity comes from: the retriever's ``node.score`` (re-embedded when
it is missing), or always re-embedding the question and the passage."""

AnyRetriever = ChromaRetrievalArm | BaseRetriever
"""Our Chroma arm, or any LlamaIndex retriever (Qdrant, pgvector, an existing index, BM25...)."""


@dataclass(frozen=True)
class RetrievedPassages:
    """What the retrieval arm found for one question, in rank order."""

    nodes: list[NodeWithScore]
    passages: list[str]
    """The nodes' texts, as they go into an answering prompt."""
    sources: list[dict[str, Any]]
    """One :func:`source_record` per node."""
    best_similarity: float | None
    """Similarity of the closest passage; None when nothing was retrieved."""

    @classmethod
    def of(cls, nodes: list[NodeWithScore], similarities: list[float]) -> RetrievedPassages:
        passages = [passage_text(node) for node in nodes]
        sources = [
            source_record(node, similarity, text)
            for node, similarity, text in zip(nodes, similarities, passages, strict=True)
        ]
        best = max(similarities) if similarities else None
        return cls(nodes=nodes, passages=passages, sources=sources, best_similarity=best)


def scored_similarities(retriever: AnyRetriever, nodes: list[NodeWithScore]) -> list[float | None]:
    """The similarities the retriever's scores give: cosine for our Chroma arm (which undoes
    Chroma's ``exp(-distance)``), ``node.score`` as is for any other retriever."""
    if isinstance(retriever, ChromaRetrievalArm):
        return [retriever.cosine_similarity(node) for node in nodes]
    return [node.score for node in nodes]


def _embedding_similarities(
    query_embedding: Embedding, passage_embeddings: list[Embedding]
) -> list[float]:
    return [float(similarity(query_embedding, passage)) for passage in passage_embeddings]


def _fill(scored: list[float | None], embedded: list[float]) -> list[float]:
    pairs = zip(scored, embedded, strict=True)
    return [score if score is not None else fallback for score, fallback in pairs]


def _scored(
    retriever: AnyRetriever, nodes: list[NodeWithScore], source: SimilaritySource
) -> list[float | None]:
    if source == "embedding":
        return [None] * len(nodes)
    return scored_similarities(retriever, nodes)


def retrieve_passages(
    arm: AnyRetriever,
    question: str,
    top_k: int | None = None,
    *,
    embed_model: BaseEmbedding | None = None,
    similarity_source: SimilaritySource = "score",
) -> RetrievedPassages:
    """The retrieval step of every RAG answer: retrieve, then read texts and similarities.

    ``arm`` is a :class:`ChromaRetrievalArm` or any LlamaIndex ``BaseRetriever``. ``top_k``
    overrides the Chroma arm's ``similarity_top_k`` (and cuts another retriever's results).
    Passages without a score are re-embedded with ``embed_model`` (default
    :class:`MiniLMEmbedding`) and compared with the question by cosine similarity.
    """
    if isinstance(arm, ChromaRetrievalArm):
        nodes = arm.retrieve(question, top_k)
    else:
        nodes = arm.retrieve(question)
        nodes = nodes[:top_k] if top_k else nodes
    scored = _scored(arm, nodes, similarity_source)
    if any(score is None for score in scored):
        embed_model = embed_model or MiniLMEmbedding()
        embedded = _embedding_similarities(
            embed_model.get_query_embedding(question),
            embed_model.get_text_embedding_batch([passage_text(node) for node in nodes]),
        )
        scored = _fill(scored, embedded)
    return RetrievedPassages.of(nodes, scored)  # type: ignore[arg-type]  # no None is left


async def aretrieve_passages(
    arm: AnyRetriever,
    question: str,
    top_k: int | None = None,
    *,
    embed_model: BaseEmbedding | None = None,
    similarity_source: SimilaritySource = "score",
) -> RetrievedPassages:
    """:func:`retrieve_passages` for the event loop: LlamaIndex's async retrieval and
    embedding, and our (synchronous) Chroma arm in a worker thread."""
    if isinstance(arm, ChromaRetrievalArm):
        nodes = await asyncio.to_thread(arm.retrieve, question, top_k)
    else:
        nodes = await arm.aretrieve(question)
        nodes = nodes[:top_k] if top_k else nodes
    scored = _scored(arm, nodes, similarity_source)
    if any(score is None for score in scored):
        embed_model = embed_model or MiniLMEmbedding()
        embedded = _embedding_similarities(
            await embed_model.aget_query_embedding(question),
            await embed_model.aget_text_embedding_batch([passage_text(node) for node in nodes]),
        )
        scored = _fill(scored, embedded)
    return RetrievedPassages.of(nodes, scored)  # type: ignore[arg-type]  # no None is left
