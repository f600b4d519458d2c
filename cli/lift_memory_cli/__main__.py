"""`python -m lift_memory_cli` is `lift-memory`."""

from lift_memory_cli.entry import main

main()
