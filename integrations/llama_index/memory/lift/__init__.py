"""LlamaIndex integration of lift-memory: ``import llama_index.memory.lift``.

- :class:`LiftMemoryBlock` — parametric long-term memory block for ``Memory``;
- :class:`LiftLLM` — the base model with a memory attached, as a LlamaIndex LLM;
- :class:`ParametricQueryEngine` and :class:`HybridRouterQueryEngine` (memory vs retrieval RAG
  over our Chroma arm or any LlamaIndex retriever);
- :class:`ChromaRetrievalArm` — a Chroma collection per memory, embedded or on a server, and
  :func:`retrieve_passages` / :func:`aretrieve_passages`, the retrieval step of every RAG answer;
- :class:`MiniLMEmbedding` / :class:`MiniLMChromaEmbeddingFunction` — offline embeddings;
- :class:`RelevanceRouter` — relevance routing (``auto`` mode: the memory answers questions
  about its corpus, the base model the rest), calibrated by :func:`calibrate_relevance`;
  :class:`CalibratedPolicy` — the hybrid router on arm reliabilities measured at ingest.

Names are imported on first use (module ``__getattr__``): torch, chromadb and the embedding
model load only when a name that needs them is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lift_memory.lazy_exports import lazy_exports
from lift_memory.scoring import answer_agreement  # the engine's scoring, kept importable here

# submodule -> the public names it defines, imported on first use
_IMPORT_STRUCTURE: dict[str, list[str]] = {
    "arms": ["ArmResult"],
    "calibrated_policy": [
        "ArmReliability",
        "CalibratedPolicy",
        "HybridCalibration",
        "measure_arm_reliability",
    ],
    "calibration": ["RoutingCalibration", "calibrate_relevance", "roc_auc"],
    "embeddings": ["MiniLMChromaEmbeddingFunction", "MiniLMEmbedding"],
    "llm": ["LiftLLM"],
    "memory_block": ["ConsolidationWorker", "LiftMemoryBlock"],
    "policies": [
        "AlwaysCombinePolicy",
        "ConfidencePolicy",
        "RetrievalFirstPolicy",
        "RouterEvidence",
        "Selection",
        "SelectionPolicy",
    ],
    "query_engines": ["HybridRouterQueryEngine", "ParametricQueryEngine"],
    "relevance": ["RelevanceFeatures", "RelevanceScorer"],
    "retrieval": [
        "ChromaRetrievalArm",
        "RetrievedPassages",
        "aretrieve_passages",
        "collection_name_for",
        "retrieve_passages",
    ],
    "routing": ["RelevanceRouter", "RouteDecision"],
}

__all__ = [
    "AlwaysCombinePolicy",
    "ArmReliability",
    "ArmResult",
    "CalibratedPolicy",
    "ChromaRetrievalArm",
    "ConfidencePolicy",
    "ConsolidationWorker",
    "HybridCalibration",
    "HybridRouterQueryEngine",
    "LiftLLM",
    "LiftMemoryBlock",
    "MiniLMChromaEmbeddingFunction",
    "MiniLMEmbedding",
    "ParametricQueryEngine",
    "RelevanceFeatures",
    "RelevanceRouter",
    "RelevanceScorer",
    "RetrievalFirstPolicy",
    "RetrievedPassages",
    "RouteDecision",
    "RouterEvidence",
    "RoutingCalibration",
    "Selection",
    "SelectionPolicy",
    "answer_agreement",
    "aretrieve_passages",
    "calibrate_relevance",
    "collection_name_for",
    "measure_arm_reliability",
    "retrieve_passages",
    "roc_auc",
]

if TYPE_CHECKING:
    from llama_index.memory.lift.arms import ArmResult
    from llama_index.memory.lift.calibrated_policy import (
        ArmReliability,
        CalibratedPolicy,
        HybridCalibration,
        measure_arm_reliability,
    )
    from llama_index.memory.lift.calibration import (
        RoutingCalibration,
        calibrate_relevance,
        roc_auc,
    )
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
    from llama_index.memory.lift.query_engines import (
        HybridRouterQueryEngine,
        ParametricQueryEngine,
    )
    from llama_index.memory.lift.relevance import RelevanceFeatures, RelevanceScorer
    from llama_index.memory.lift.retrieval import (
        ChromaRetrievalArm,
        RetrievedPassages,
        aretrieve_passages,
        collection_name_for,
        retrieve_passages,
    )
    from llama_index.memory.lift.routing import RelevanceRouter, RouteDecision

__getattr__, __dir__ = lazy_exports(__name__, _IMPORT_STRUCTURE)
