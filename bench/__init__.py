"""Benchmarks of sheraf.

- ``python -m bench``: this project side by side with raw ZODB and the
  released sheraf 0.6.0, then BENCHMARKS.md (see :mod:`bench.__main__`);
- ``python -m bench.bench_queries``: indexed queries against scans;
- ``python -m bench.profile WORKLOAD``: where this project spends the time
  of one workload.
"""
