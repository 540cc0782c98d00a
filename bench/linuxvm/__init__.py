"""bench/linuxvm: see its module's docstring."""
