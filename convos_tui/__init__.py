"""convos-tui: a terminal fleet console for OpenClaw gateways running the Convos channel plugin."""

from typing import Any


def __getattr__(name: str) -> Any:
    # The version is read from the installed metadata only when asked (importlib.metadata is slow to
    # import, and `--help` or a config problem never needs it).
    if name != "__version__":
        raise AttributeError(f"module 'convos_tui' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("convos-tui")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0+unknown"
    globals()["__version__"] = value  # found directly from now on
    return value
