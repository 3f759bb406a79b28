"""Test helpers: importable by tests and benchmarks; never import test modules or conftest."""
