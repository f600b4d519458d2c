"""The evaluation harness behind `lift-memory bench` (DESIGN §7): LIFT vs RAG vs ICL, with costs.

One module per concept:

- ``tasks`` — questions, the shared corpus and its assembly; ``fiction``, ``needles`` and
  ``hotpotqa`` generate each task family; ``generic`` holds the retention probes;
- ``profiles`` — every size knob in one typed object (``quick``, ``full``) and the cost estimate;
- ``variants`` / ``budget`` — the trainings (LIFT, its ablations, LoRA / PiSSA at a matched
  parameter budget);
- ``env`` — what methods share (model, store, trainings, Chroma index); ``methods`` — the
  methods; ``metrics`` / ``likelihood`` — scoring; ``runner`` — one run; ``report`` — the files.
"""

from lift_memory_cli.benchmark.profiles import FULL, PROFILES, QUICK, BenchProfile, estimate_cost

__all__ = ["FULL", "PROFILES", "QUICK", "BenchProfile", "estimate_cost"]
