"""The `qrDataUrl` of /convos/setup: a PNG of the invite's QR code, as the real gateway serves it.

The matrix and the PNG come from `convos_tui.qr` (no Textual, no Pillow); the gateway's own code uses
error correction M, so the simulator does too rather than the console's choice for size.
"""

from __future__ import annotations

import base64

from convos_tui.qr import matrix, png_from_matrix

__all__ = ["qr_data_url"]


def qr_data_url(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png_from_matrix(matrix(text, level="M"))).decode("ascii")
