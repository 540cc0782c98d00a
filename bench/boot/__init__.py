"""bench/boot: see its module's docstring."""
