"""Benchmarks for Tempograph (run with `python -m bench.run`)."""
