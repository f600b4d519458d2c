"""Auxiliary QA generation for LIFT (docs/design.md §1.3): pluggable generators, all
evidence-checked. Names are imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lift_memory.lazy_exports import lazy_exports

# submodule -> the public names it defines, imported on first use
_IMPORT_STRUCTURE: dict[str, list[str]] = {
    "base": ["QAGenerator", "QAPair"],
    "cloze": ["ClozeQAGenerator"],
    "fact_generator": ["FactQAGenerator", "fact_statements"],
    "jsonl_file": ["JsonlQAGenerator"],
    "jsonl_io": ["read_qa_jsonl", "write_qa_jsonl"],
    "model_generator": ["ModelQAGenerator"],
    "openai_endpoint": ["OpenAIQAGenerator"],
    "parsing": ["evidence_in_text", "parse_qa_output"],
    "top_up": ["TopUpQAGenerator"],
}

__all__ = [
    "ClozeQAGenerator",
    "FactQAGenerator",
    "JsonlQAGenerator",
    "ModelQAGenerator",
    "OpenAIQAGenerator",
    "QAGenerator",
    "QAPair",
    "TopUpQAGenerator",
    "evidence_in_text",
    "fact_statements",
    "parse_qa_output",
    "read_qa_jsonl",
    "write_qa_jsonl",
]

if TYPE_CHECKING:
    from lift_memory.qa.base import QAGenerator, QAPair
    from lift_memory.qa.cloze import ClozeQAGenerator
    from lift_memory.qa.fact_generator import FactQAGenerator, fact_statements
    from lift_memory.qa.jsonl_file import JsonlQAGenerator
    from lift_memory.qa.jsonl_io import read_qa_jsonl, write_qa_jsonl
    from lift_memory.qa.model_generator import ModelQAGenerator
    from lift_memory.qa.openai_endpoint import OpenAIQAGenerator
    from lift_memory.qa.parsing import evidence_in_text, parse_qa_output
    from lift_memory.qa.top_up import TopUpQAGenerator


__getattr__, __dir__ = lazy_exports(__name__, _IMPORT_STRUCTURE)
