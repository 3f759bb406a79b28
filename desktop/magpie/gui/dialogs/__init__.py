"""Dialogs, one per module; re-exported here so `from magpie.gui.dialogs import X` works."""

from magpie.gui.dialogs.about import AboutDialog
from magpie.gui.dialogs.failures import FailuresDialog
from magpie.gui.dialogs.model_setup import ModelSetupDialog
from magpie.gui.dialogs.preview import PreviewDialog
from magpie.gui.dialogs.settings import SettingsDialog
from magpie.gui.dialogs.shortcuts import ShortcutsDialog

__all__ = [
    "AboutDialog",
    "FailuresDialog",
    "ModelSetupDialog",
    "PreviewDialog",
    "SettingsDialog",
    "ShortcutsDialog",
]
