"""presswatch benchmarks: a seeded corpus, its server, and `python -m bench run` (see docs/benchmarks.md)."""
