"""The `lift-memory` command line (DESIGN §6): ``lift_memory_cli.app:main``.

One module per command (``ingest``, ``ask``, ``compare``, ``ls``, ``info``, ``rm``) on shared
helpers: ``context`` (home, models, opening memories), ``inputs`` (files, folders, stdin through
LlamaIndex's SimpleDirectoryReader), ``answering`` (the five answer modes), ``report`` (compare's
scoring and files), ``progress``, ``rendering`` and ``errors`` (one-line errors, exit codes).
``python -m lift_memory_cli.demo`` is `make demo`.
"""
