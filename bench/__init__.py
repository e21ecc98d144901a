"""Benchmarks (make bench): bench/ingest.py, bench/billing.py, bench/generate.py, bench/baselines.py."""
