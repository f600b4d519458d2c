"""The `lift-memory` command line (DESIGN §6). Until the CLI lands, `python -m lift_memory_cli.demo`
runs the engine demo."""
