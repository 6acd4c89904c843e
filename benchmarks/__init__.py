"""Benchmarks of the snippets package (timings, not tests)."""
