"""JsonlQAGenerator (user QA files) and the qa.jsonl read/write helpers."""

from __future__ import annotations

import json

import pytest

from lift_memory.errors import LiftMemoryError
from lift_memory.qa import JsonlQAGenerator, QAGenerator, QAPair, read_qa_jsonl, write_qa_jsonl

TEXT = "Edda Mirel keeps the lighthouse on Varnholm.\nThe lighthouse was built in 1847."


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_pairs_checks_evidence_and_limits_n(tmp_path):
    path = _write(
        tmp_path / "qa.jsonl",
        [
            json.dumps({"question": "Who keeps it?", "answer": "Edda Mirel"}),
            "",
            json.dumps({"question": "Built when?", "answer": "1847", "evidence": "built in\n1847"}),
            json.dumps({"question": "Fake?", "answer": "x", "evidence": "built in 1999"}),
            json.dumps({"question": "who keeps it? ", "answer": "dup"}),
            json.dumps({"question": "Where?", "answer": "Varnholm", "evidence": "on Varnholm"}),
        ],
    )
    generator = JsonlQAGenerator(path)
    assert isinstance(generator, QAGenerator) and generator.name == "jsonl"
    pairs = generator.generate(TEXT, 10)
    assert [(p.question, p.answer) for p in pairs] == [
        ("Who keeps it?", "Edda Mirel"),
        ("Built when?", "1847"),
        ("Where?", "Varnholm"),
    ]
    assert pairs[0].evidence == ""
    assert pairs[1].evidence == "built in 1847" and pairs[1].evidence in TEXT
    assert len(generator.generate(TEXT, 2)) == 2


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"question": "Q?", "answer": ', "invalid JSON"),
        ('["question", "answer"]', "expected a JSON object"),
        ('{"answer": "A"}', "'question' is missing"),
        ('{"question": "Q?"}', "'answer' is missing"),
        ('{"question": "Q?", "answer": 3}', "'answer' is not a non-empty string"),
        ('{"question": "Q?", "answer": "A", "evidence": 3}', "'evidence' is not a string"),
    ],
)
def test_invalid_lines_give_one_line_error_with_line_number(tmp_path, line, fragment):
    path = _write(tmp_path / "qa.jsonl", [json.dumps({"question": "Q1?", "answer": "A"}), line])
    with pytest.raises(LiftMemoryError) as caught:
        JsonlQAGenerator(path).generate(TEXT, 5)
    message = str(caught.value)
    assert f"{path}:2" in message and fragment in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(LiftMemoryError, match="QA file not found"):
        JsonlQAGenerator(tmp_path / "nope.jsonl")
    path = _write(tmp_path / "qa.jsonl", [json.dumps({"question": "Q?", "answer": "A"})])
    generator = JsonlQAGenerator(path)
    path.unlink()
    with pytest.raises(LiftMemoryError, match="QA file not found"):
        generator.generate(TEXT, 1)


def test_not_utf8(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_bytes(b'{"question": "\xff", "answer": "A"}\n')
    with pytest.raises(LiftMemoryError, match="not UTF-8"):
        JsonlQAGenerator(path).generate(TEXT, 1)


def test_write_and_read_round_trip_atomically(tmp_path):
    pairs = [
        QAPair("Who keeps it?", "Edda Mirel", "Edda Mirel keeps", "cloze"),
        QAPair("Quand? «ünïcode»", "1847", "built in 1847", "model"),
        QAPair("Which first?", "A", "E", "facts", reply="1 is before 2. First: A.", probed="x"),
    ]
    path = tmp_path / "sub" / "qa.jsonl"
    write_qa_jsonl(path, pairs)
    assert read_qa_jsonl(path) == pairs
    assert [p.name for p in path.parent.iterdir()] == ["qa.jsonl"]  # no temp file left behind
    write_qa_jsonl(path, pairs[:1])  # overwrite
    assert read_qa_jsonl(path) == pairs[:1]


def test_failed_write_keeps_old_file(tmp_path):
    path = tmp_path / "qa.jsonl"
    write_qa_jsonl(path, [QAPair("Q?", "A", "E", "s")])

    def broken():
        yield QAPair("New?", "B", "E", "s")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_qa_jsonl(path, broken())
    assert read_qa_jsonl(path) == [QAPair("Q?", "A", "E", "s")]
    assert [p.name for p in tmp_path.iterdir()] == ["qa.jsonl"]


def test_read_defaults_for_optional_fields(tmp_path):
    path = _write(tmp_path / "qa.jsonl", [json.dumps({"question": "Q?", "answer": "A"})])
    assert read_qa_jsonl(path) == [QAPair("Q?", "A", "", "unknown")]
    # a pair without reply or probed writes neither: older files stay byte-identical
    assert QAPair("Q?", "A", "", "unknown").to_dict() == {
        "question": "Q?",
        "answer": "A",
        "evidence": "",
        "source": "unknown",
    }
