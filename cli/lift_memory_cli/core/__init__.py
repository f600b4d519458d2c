"""The service layer under the `lift-memory` commands and the HTTP server (docs/design.md §2).

Everything a command or the server does besides parsing options and rendering: finding the
store, opening memories on their base models, the ingest pipeline with its Chroma arm, answering
in every mode, the compare report, and errors as exceptions. No typer, fastapi or rich here, so
both faces share one implementation; heavy modules (the model, chromadb) are imported where used.
"""
