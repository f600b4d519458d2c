"""The evaluation harness behind `lift-memory bench` (docs/design.md §7): LIFT vs RAG vs ICL,
with costs; the speed measurements (``perf``) and the crash-safety harness (``crash_safety``).

It depends on the engine, the LlamaIndex integration and the CLI's service layer
(``lift_memory_cli.core``); nothing there imports it. The `bench` command reaches the CLI as a
plugin (the ``lift_memory.commands`` entry point, :func:`lift_memory_bench.plugin.register`);
like every command, its Typer face (``command``, ``progress``) uses the CLI's face helpers
(``lift_memory_cli.errors``, ``options``, ``rendering``, ``progress``), never a command module.

One module per concept:

- ``names`` — the method and task names (light: ``--help`` lists them without torch);
- ``tasks`` — questions and the shared corpus: ``question``, one generator per family
  (``fiction``, ``needles``, ``hotpotqa``) and their assembly (``corpus``); ``generic`` holds
  the retention probes, ``unrelated_texts`` the texts of other genres for the perplexity probe;
- ``profiles`` — every size knob in one typed object (``quick``, ``full``, ``quality``);
  ``estimate`` — the cost estimate printed before a run;
- ``variants`` / ``budget`` — the trainings (LIFT, its ablations, LoRA / PiSSA at a matched
  parameter budget);
- ``env`` — what methods share (model, store, trainings, Chroma index); ``methods`` — the
  methods; ``metrics`` / ``option_choice`` / ``likelihood`` — scoring (timeline answers by the
  option they pick); ``perplexity_damage`` — memory on vs off over the unrelated texts;
  ``bootstrap`` — confidence intervals; ``runner`` — one run; ``report`` — the files;
- ``events`` — what a run reports while it runs; ``progress`` renders it; ``command`` — the
  Typer command.
"""
