"""LlamaIndex integration of lift-memory: ``import llama_index.memory.lift``.

- :class:`LiftMemoryBlock` — parametric long-term memory block for ``Memory``;
- :class:`LiftLLM` — the base model with a memory attached, as a LlamaIndex LLM;
- :class:`ParametricQueryEngine` and :class:`HybridRouterQueryEngine` (memory vs Chroma RAG);
- :class:`ChromaRetrievalArm` — a Chroma collection per memory, embedded or on a server;
- :class:`MiniLMEmbedding` / :class:`MiniLMChromaEmbeddingFunction` — offline embeddings.
"""

from llama_index.memory.lift.arms import ArmResult, answer_agreement
from llama_index.memory.lift.embeddings import MiniLMChromaEmbeddingFunction, MiniLMEmbedding
from llama_index.memory.lift.llm import LiftLLM
from llama_index.memory.lift.memory_block import ConsolidationWorker, LiftMemoryBlock
from llama_index.memory.lift.policies import (
    AlwaysCombinePolicy,
    ConfidencePolicy,
    RetrievalFirstPolicy,
    RouterEvidence,
    Selection,
    SelectionPolicy,
)
from llama_index.memory.lift.query_engines import HybridRouterQueryEngine, ParametricQueryEngine
from llama_index.memory.lift.retrieval import ChromaRetrievalArm, collection_name_for

__all__ = [
    "AlwaysCombinePolicy",
    "ArmResult",
    "ChromaRetrievalArm",
    "ConfidencePolicy",
    "ConsolidationWorker",
    "HybridRouterQueryEngine",
    "LiftLLM",
    "LiftMemoryBlock",
    "MiniLMChromaEmbeddingFunction",
    "MiniLMEmbedding",
    "ParametricQueryEngine",
    "RetrievalFirstPolicy",
    "RouterEvidence",
    "Selection",
    "SelectionPolicy",
    "answer_agreement",
    "collection_name_for",
]
