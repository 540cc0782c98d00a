"""Unit tests of the bench harness: no benchmark runs here (make bench-unit-tests)."""
