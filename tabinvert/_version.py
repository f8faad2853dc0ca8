"""The version of tabinvert (its own module, so that any module can read it without importing
the package's top)."""

__version__ = "0.1.0.dev0"
