"""Benchmarks: run with the project's virtual environment, results in docs/benchmarks.md."""
