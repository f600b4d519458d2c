"""Offline all-MiniLM-L6-v2 embeddings, for LlamaIndex and for Chroma."""

from __future__ import annotations

import numpy as np
import pytest
from chromadb.utils.embedding_functions import config_to_embedding_function
from llama_index.memory.lift import MiniLMChromaEmbeddingFunction, MiniLMEmbedding


@pytest.fixture(scope="module")
def embed_model() -> MiniLMEmbedding:
    return MiniLMEmbedding()


def test_embeddings_are_unit_vectors_that_rank_paraphrases_first(embed_model) -> None:
    query = embed_model.get_query_embedding("Who keeps the lighthouse?")
    texts = embed_model.get_text_embedding_batch(
        ["The lighthouse keeper is Ilse Marrick.", "Stock markets fell sharply on Monday."]
    )
    assert len(query) == 384
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-4)
    related, unrelated = (float(np.dot(query, t)) for t in texts)
    assert related > 0.4 > unrelated


def test_chroma_function_matches_the_llama_index_model_and_is_registered(embed_model) -> None:
    text = "The ferry Silver Heron sails every Tuesday."
    function = MiniLMChromaEmbeddingFunction()
    np.testing.assert_allclose(function([text])[0], embed_model.get_text_embedding(text), atol=1e-5)
    rebuilt = config_to_embedding_function(
        {"name": MiniLMChromaEmbeddingFunction.name(), "config": function.get_config()}
    )
    assert isinstance(rebuilt, MiniLMChromaEmbeddingFunction)
    assert not rebuilt.is_legacy()
    assert rebuilt.default_space() == "cosine"
