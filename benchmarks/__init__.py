"""Benchmarks: run with ``./dev bench`` (or ``python -m benchmarks``); results in RESULTS.md."""
