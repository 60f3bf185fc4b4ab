"""The benchmarks: ``bench_micro.py`` (pytest-benchmark, no I/O) and ``python -m benches.throughput``."""
