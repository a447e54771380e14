"""convos-tui: a terminal fleet console for OpenClaw gateways running the Convos channel plugin."""

# The one place the version is written: pyproject.toml reads it from here (setuptools' `attr:`), so that the
# User-Agent of every poll needs no importlib.metadata (11 ms of a one-shot status's start, with email and zipfile).
__version__ = "0.1.0"
