"""bench/all: see its module's docstring."""
