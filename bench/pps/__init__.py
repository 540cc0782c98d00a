"""bench/pps: see its module's docstring."""
