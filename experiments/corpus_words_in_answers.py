"""Which generic-probe answers of a memory carry words of its corpus?

    python experiments/corpus_words_in_answers.py --run RUN/report

For each of the run's lora-arm answers to the bench's 110 generic probes (memory forced on): the
capitalised words of the corpus it holds that neither the question nor the base model's answer
has. A memory whose damage is its corpus leaking into neighbouring questions shows here
("The first president of the United States is John Marshall Harlan."); diffuse damage does not.
Corpus lines of the form "Title: text" are HotpotQA paragraphs, the rest the invented facts,
needles and filler.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

_WORD = re.compile(r"\b[A-Z][a-z]{3,}\b")
_HOTPOT_LINE = re.compile(r"^[^.]{2,80}: ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True, help="a quality run's report folder")
    args = parser.parse_args()
    run = Path(args.run)
    report = json.loads((run / "report.json").read_text())
    lines = (run / "corpus.txt").read_text().splitlines()
    hotpot = set(_WORD.findall(" ".join(line for line in lines if _HOTPOT_LINE.match(line))))
    invented = set(_WORD.findall(" ".join(line for line in lines if not _HOTPOT_LINE.match(line))))
    reference = report["retention_reference"]
    answers = report["results"]["lora"]["retention"]["answers"]
    seen = set(_WORD.findall(" ".join(reference["questions"] + reference["base_answers"])))
    counts = {"hotpot": 0, "invented": 0}
    for question, mine in zip(reference["questions"], answers, strict=True):
        new = [w for w in _WORD.findall(mine) if w not in seen]
        from_hotpot = [w for w in new if w in hotpot and w not in invented]
        from_invented = [w for w in new if w in invented]
        counts["hotpot"] += bool(from_hotpot)
        counts["invented"] += bool(from_invented)
        if from_hotpot or from_invented:
            print(f"{question} | {mine[:100]} | hotpot {from_hotpot} invented {from_invented}")
    print(counts, "answers of", len(answers))


if __name__ == "__main__":
    main()
