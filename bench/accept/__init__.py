"""bench/accept: the open issues' measured acceptance lines, judged (bench_accept.py)."""
