"""The benchmark suite run by ``benchmarks/run.py``."""
