"""Build tooling, not tests: ``python -m tools.debug_build`` is make test-debug's debug core (sync, check);
``python -m tools.notebooks`` executes examples/notebooks/ (run, refresh)."""
