"""A simulator of OpenClaw gateways running the Convos plugin, for developing and testing the console.

It serves N gateways from one process, each on its own 127.0.0.1 port, that answer like the real plugin
(byte for byte where the real-gateway transcript shows bytes) and can be told to misbehave.
Nothing here imports Textual. Its names are imported on first use (convos_tui/lazy.py), so that the
command line can read the modes without starting aiohttp.
"""

from typing import TYPE_CHECKING

from convos_tui.lazy import lazy_exports

if TYPE_CHECKING:
    from .modes import GatewaySpec, Mode, mixed_specs, specs_for_modes
    from .serve import serve
    from .server import SimFleet

_EXPORTS = {
    **dict.fromkeys(("GatewaySpec", "Mode", "mixed_specs", "specs_for_modes"), ".modes"),
    "serve": ".serve",
    "SimFleet": ".server",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = ["GatewaySpec", "Mode", "SimFleet", "mixed_specs", "serve", "specs_for_modes"]
