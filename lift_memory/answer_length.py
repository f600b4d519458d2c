"""How many tokens an answer may have by default: one number for every way of asking.

`ask`, `compare`, the server, the LlamaIndex query engines and memory block, `LiftMemory.ask` and
the quality benchmark all answer with it, so a figure measured on one is what the others give.
64 fits the longest reply the default recipe trains: a which-came-first answer that recalls both
years and states their order before the pick (~56 tokens with invented names, at most 63 on the
fiction corpus; at 48 a 2.3k-token fiction bench cut 22 of 24 of them inside the pick); at 24 it
cut 8 of 24 multi-hop answers before their year (docs/benchmarks.md). A reply that ends sooner
stops at its end-of-turn token, so the budget costs only answers that run on. Importing it
imports nothing else (the CLI reads it at start-up).
"""

from __future__ import annotations

ANSWER_MAX_NEW_TOKENS = 64
