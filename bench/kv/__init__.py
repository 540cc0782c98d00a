"""bench/kv: see its module's docstring."""
