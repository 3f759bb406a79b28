"""Magpie's PySide6 interface: widgets, Qt models and workers. No engine logic here."""
