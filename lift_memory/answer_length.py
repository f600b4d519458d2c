"""How many tokens an answer may have by default: one number for every way of asking.

`ask`, `compare`, the server, the LlamaIndex query engines and memory block, `LiftMemory.ask` and
the quality benchmark all answer with it, so a figure measured on one is what the others give.
48 fits a chained multi-hop answer ("Orla was born in Kelby. Kelby was founded in 1228."); at 24
the quality bench cut 8 of 24 of the memory's multi-hop answers before their year
(docs/benchmarks.md). Importing it imports nothing else (the CLI reads it at start-up).
"""

from __future__ import annotations

ANSWER_MAX_NEW_TOKENS = 48
