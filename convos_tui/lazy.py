"""A package's names imported when first used (PEP 562), so that importing one small module of a package
does not import all of it: `convos_tui.api.interpret` without httpx, `convos_tui.sim.modes` without aiohttp.

    __getattr__ = lazy_exports(__name__, {"GatewayClient": ".client", ...})

The package also imports them under `if TYPE_CHECKING:`, so type checkers see the real names.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `name` from its module (relative to `package`) on first use."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    return __getattr__
