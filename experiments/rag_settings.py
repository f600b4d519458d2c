"""The RAG arm's chunking against the demo text: does retrieval find the answer, and does the
base model read it?

    python experiments/rag_settings.py --out DIR [--answer] [--settings 256:2,128:3,64:4]

For each ``chunk_size:top_k``: a fresh embedded Chroma collection of the demo text, the demo's
and the dev set's questions retrieved ("found": a retrieved passage contains the gold answer,
scored on word boundaries as recall_run.py scores answers) and, with ``--answer``, answered by
the base model with the passages in context (``lift_memory.answer``, as the rag arm answers).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from llama_index.memory.lift.retrieval import ChromaRetrievalArm, retrieve_passages
from recall_run import ROOT, SAMPLES, contains, first_sentence, questions

from lift_memory.answer import generate_answer, generate_reply, passages_context
from lift_memory.models import load_model
from lift_memory.prompts import prompt_ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--settings", default="256:2,128:2,128:4,64:4")
    parser.add_argument("--answer", action="store_true")
    parser.add_argument(
        "--prompt",
        choices=["engine", "question-first"],
        default="engine",
        help="engine: lift_memory.prompts.question_prompt (the rag arm's); question-first: the "
        "question before the passages and again after them",
    )
    args = parser.parse_args()
    text = (SAMPLES / "varnholm.txt").read_text()
    asked = [
        (name, q, gold)
        for name, path in (
            ("demo", SAMPLES / "varnholm-questions.jsonl"),
            ("dev", ROOT / "experiments" / "varnholm-dev.jsonl"),
        )
        for q, gold, _kind in questions(path)
        # the demo's control question is about no passage of the text
        if not (name == "demo" and "France" in q)
    ]
    loaded = load_model("smollm2-135m") if args.answer else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for setting in args.settings.split(","):
        chunk, top_k = (int(x) for x in setting.split(":"))
        arm = ChromaRetrievalArm(
            collection_name=f"rag-{chunk}-{top_k}",
            path=tempfile.mkdtemp(),
            chunk_size=chunk,
            chunk_overlap=min(32, chunk // 4),
            similarity_top_k=top_k,
        )
        chunks = arm.add_documents([text])
        rows = []
        for name, q, gold in asked:
            passages = retrieve_passages(arm, q).passages
            row = {"set": name, "q": q, "gold": gold, "found": contains(" ".join(passages), gold)}
            if loaded is not None:
                context = passages_context(passages)
                if args.prompt == "engine":
                    answer = generate_answer(loaded, q, context=context, max_new_tokens=32).text
                else:
                    user = f"Question: {q}\n\nPassages:\n{context}\n\nAnswer from the passages: {q}"
                    ids = prompt_ids(loaded.tokenizer, user)
                    answer = generate_reply(loaded, ids, max_new_tokens=32).text
                row |= {"answer": answer, "hit": contains(first_sentence(answer), gold)}
            rows.append(row)
        summary = {
            "chunk_size": chunk,
            "top_k": top_k,
            "chunks": chunks,
            "found": sum(r["found"] for r in rows),
            "answered": sum(r.get("hit", False) for r in rows) if loaded else None,
            "n": len(rows),
        }
        print(json.dumps(summary), flush=True)
        (out / f"rag-{chunk}-{top_k}-{args.prompt}.json").write_text(
            json.dumps({**summary, "rows": rows}, indent=1)
        )


if __name__ == "__main__":
    main()
