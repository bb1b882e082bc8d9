"""Typed errors: library code raises these, the CLI maps them to exit codes in one place."""


class DedupeError(Exception):
    """Base class of every error news-dedupe raises on purpose."""


class InputError(DedupeError):
    """Input that cannot be read or parsed; the message names the file and the place."""


class ConfigError(DedupeError):
    """An option or configuration value out of range or inconsistent."""


class StoreError(DedupeError):
    """A persistent index that cannot be opened, is corrupt, or was built with other parameters."""
