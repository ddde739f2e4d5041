"""Benchmark sizes from the environment, so that a quick run can check that every benchmark's
result-check passes without timing the large rows:

    ZK_BENCH_LOGS=8,10 .venv/bin/python -m pytest bench/bench_msm.py bench/bench_ntt.py --benchmark-only -q
"""
from __future__ import annotations

import os


def log_sizes(default: list[int], large: list[int]) -> list[int]:
    """log2 sizes: ZK_BENCH_LOGS (comma-separated) if set, else `default`, plus `large` with
    ZK_BENCH_LARGE=1."""
    if os.environ.get("ZK_BENCH_LOGS"):
        return sorted({int(x) for x in os.environ["ZK_BENCH_LOGS"].split(",") if x.strip()})
    return default + (large if os.environ.get("ZK_BENCH_LARGE") else [])
