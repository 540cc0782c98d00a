"""bench all: every benchmark in one invocation and the comparison report
(bench_all: the pieces; report: tables, plots, docs/PERFORMANCE.md)."""
