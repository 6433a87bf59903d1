"""Benchmarks with fixed workloads: `make bench` (or `python -m bench --quick`) prints their figures."""
