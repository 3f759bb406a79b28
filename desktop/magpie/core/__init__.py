"""Magpie's engine. Qt-free by rule (tests/test_architecture.py enforces it)."""
