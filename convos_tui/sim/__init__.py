"""A simulator of OpenClaw gateways running the Convos plugin, for developing and testing the console.

It serves N gateways from one process, each on its own 127.0.0.1 port, that answer like the real plugin
(byte for byte where the real-gateway transcript shows bytes) and can be told to misbehave.
Nothing here imports Textual.
"""

from .modes import GatewaySpec, Mode, mixed_specs, specs_for_modes
from .serve import serve
from .server import SimFleet

__all__ = ["GatewaySpec", "Mode", "SimFleet", "mixed_specs", "serve", "specs_for_modes"]
