"""Errors with messages meant for people: the CLI and the GUI show them as they are."""

from __future__ import annotations


class MagpieError(Exception):
    """Base of every error Magpie reports to the user (one clear line, no traceback)."""


class PackError(MagpieError):
    """A model pack folder is missing a file, or a file in it is unusable."""


class DecodeError(MagpieError):
    """An image file could not be read as a picture."""


class DeviceError(MagpieError):
    """The requested compute device cannot be used."""


class DownloadError(MagpieError):
    """A model download failed (offline, interrupted, corrupted)."""


class LibraryFullError(MagpieError):
    """The library's disk is full (or failing): writes stop cleanly until space returns."""


class ModelNotFoundError(MagpieError):
    """No model pack by that name is installed and no folder has that path."""
