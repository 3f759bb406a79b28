"""Magpie's package data (icon, stylesheet, .desktop entry), installed as `magpie.resources`."""
