"""convos-tui: a terminal fleet console for OpenClaw gateways running the Convos channel plugin."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("convos-tui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
