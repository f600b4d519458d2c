"""The `lift-memory` command line (docs/design.md §6): ``lift_memory_cli.entry:main``.

- ``core``: the service layer the commands and the server share (no typer, fastapi or rich):
  the store home, opening memories, the ingest pipeline with its Chroma arm, answering in every
  mode, the compare report, errors as exceptions;
- one typer module per command (``ingest``, ``ask``, ``compare``, ``ls``, ``info``, ``rm``,
  ``serve``) on ``options`` (``--home``), ``errors`` (one-line errors, exit codes),
  ``progress`` and ``rendering``; more commands come from plugins (``app``);
- ``server``: the OpenAI-compatible HTTP API of `lift-memory serve`.

``python -m lift_memory_cli.demo`` is `make demo`.
"""

import os

# Quiet third-party chatter before anything imports it: the CLI and the server print their own
# progress, and Chroma reports no telemetry.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
