"""Auxiliary QA generation for LIFT (DESIGN §1.3): pluggable generators, all evidence-checked."""

from lift_memory.qa.base import QAGenerator, QAPair
from lift_memory.qa.cloze import ClozeQAGenerator
from lift_memory.qa.jsonl_file import JsonlQAGenerator
from lift_memory.qa.jsonl_io import read_qa_jsonl, write_qa_jsonl
from lift_memory.qa.model_generator import ModelQAGenerator
from lift_memory.qa.openai_endpoint import OpenAIQAGenerator
from lift_memory.qa.parsing import evidence_in_text, parse_qa_output
from lift_memory.qa.top_up import TopUpQAGenerator

__all__ = [
    "ClozeQAGenerator",
    "JsonlQAGenerator",
    "ModelQAGenerator",
    "OpenAIQAGenerator",
    "QAGenerator",
    "QAPair",
    "TopUpQAGenerator",
    "evidence_in_text",
    "parse_qa_output",
    "read_qa_jsonl",
    "write_qa_jsonl",
]
