"""Actions the worker runs: typed specs in a registry, and a test integration shipped for the engine."""
