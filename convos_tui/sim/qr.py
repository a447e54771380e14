"""The `qrDataUrl` of /convos/setup: a PNG of the invite's QR code, without an imaging library.

The `qrcode` package computes the module matrix; a 1-bit grayscale PNG is small enough to write by hand
(signature, IHDR, one zlib IDAT, IEND), so the simulator needs no Pillow.
"""

from __future__ import annotations

import base64
import struct
import zlib

import qrcode

__all__ = ["png_from_matrix", "qr_data_url", "qr_matrix"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_matrix(text: str, *, border: int = 4) -> list[list[bool]]:
    """Dark modules are True; includes the quiet zone."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_from_matrix(matrix: list[list[bool]], *, scale: int = 4) -> bytes:
    """A 1-bit grayscale PNG: each module `scale` pixels square, dark modules black."""
    size = len(matrix) * scale
    raw = bytearray()
    for row in matrix:
        bits = 0
        for dark in row:
            for _ in range(scale):
                bits = bits << 1 | (0 if dark else 1)
        pad = (-size) % 8
        line = (bits << pad).to_bytes((size + pad) // 8, "big")
        for _ in range(scale):
            raw += b"\x00" + line  # filter type 0 (None) per scanline
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + \
        _chunk(b"IEND", b"")


def qr_data_url(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png_from_matrix(qr_matrix(text))).decode("ascii")
