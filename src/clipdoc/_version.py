"""The version of clipdoc: the one place it is written (the build reads it)."""

__version__ = "0.2.0"
