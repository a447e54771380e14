"""Invite QR codes drawn for scanners, not for themes: the module matrix and its renderers.

Pure (no Textual): the console's widget, the headless `invite` command and the simulator share it.

- The matrix includes a 4-module quiet zone: scanners need the light margin, and a terminal's own
  background (dark, or a tinted light theme) cannot be trusted to provide it.
- Error correction is chosen for size: the highest level (H, Q, M, L) whose code stays within version
  10 (57 modules, 65 with the quiet zone: it fits an 80-column terminal and, at two modules a row, 33
  rows). Real invites (270-290 characters) need version 10-12 even at L, so they get L; long invites
  (slugs over 300 characters with `*` separators, ~480 characters) get L at version 15. A screen is
  clean and flat, so a scanner needs the bigger modules of a smaller code more than it needs the
  redundancy; level L still repairs 7 %.
- Terminal cells are about twice as tall as wide, so a cell holds two modules stacked (`▀`, `▄`, `█`,
  space) and modules come out square; every cell is black on white, explicitly.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants

__all__ = ["QR", "choose_level", "invite_file_stem", "make_qr", "matrix", "png_from_matrix"]

QUIET_ZONE = 4
MAX_PREFERRED_VERSION = 10
LEVELS = ("H", "Q", "M", "L")  # most error correction first
_LEVEL_CONSTANTS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
BLACK, WHITE = "#000000", "#ffffff"
# ANSI 256-colour cube black (16) and white (231): fixed RGB in every terminal, unlike the 16 basic
# colours, which terminal themes remap (Solarized's "black" is blue-grey, many "white"s are grey).
ANSI_BLACK_ON_WHITE = "\x1b[38;5;16;48;5;231m"
ANSI_RESET = "\x1b[0m"
# Upper module dark, lower module dark: the half-block character that draws both in one cell.
_HALF_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def _qrcode(text: str, level: str, border: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_LEVEL_CONSTANTS[level], border=border)
    code.add_data(text)
    return code


def choose_level(text: str) -> str:
    """The highest error-correction level that keeps the code within MAX_PREFERRED_VERSION, else L."""
    for level in LEVELS:
        if _qrcode(text, level, 0).best_fit() <= MAX_PREFERRED_VERSION:  # no matrix built: cheap
            return level
    return "L"


def matrix(text: str, *, level: str = "M", border: int = QUIET_ZONE) -> list[list[bool]]:
    """The module matrix, quiet zone included; True is a dark module."""
    code = _qrcode(text, level, border)
    code.make(fit=True)
    return code.get_matrix()


@dataclass(frozen=True)
class QR:
    """A code ready to draw: `modules` includes the quiet zone, rows of booleans (True: dark)."""

    text: str
    level: str
    version: int
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.modules)

    # -- terminal cells ----------------------------------------------------------------------------
    def size_needed(self, zoom: int = 1) -> tuple[int, int]:
        """(columns, rows) of terminal cells the code takes at this zoom (zoom 2: 2×1 cells per module)."""
        pixels = self.size * zoom
        return pixels, math.ceil(pixels / 2)

    def half_block_rows(self, zoom: int = 1) -> list[str]:
        """One string per terminal row; each cell is two modules (or zoomed pixels) stacked."""
        pixels = [tuple(dark for dark in row for _ in range(zoom)) for row in self.modules for _ in range(zoom)]
        if len(pixels) % 2:
            pixels.append((False,) * len(pixels[0]))  # a light half row: more quiet zone, never less
        return [
            "".join(_HALF_BLOCKS[pair] for pair in zip(upper, lower, strict=True))
            for upper, lower in zip(pixels[::2], pixels[1::2], strict=True)
        ]

    def ansi(self) -> str:
        """The code for any terminal: black on white escape codes, reset at the end of every line."""
        return "".join(f"{ANSI_BLACK_ON_WHITE}{row}{ANSI_RESET}\n" for row in self.half_block_rows())

    # -- files -------------------------------------------------------------------------------------
    def svg(self, module_px: int = 8) -> str:
        """A standalone SVG: a white square, and one black path of the dark modules (runs merged)."""
        size = self.size
        path = []
        for y, row in enumerate(self.modules):
            x = 0
            while x < size:
                if row[x]:
                    start = x
                    while x < size and row[x]:
                        x += 1
                    path.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
                else:
                    x += 1
        pixels = size * module_px
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
            f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">\n'
            f"<title>{escape(self.text)}</title>\n"
            f'<rect width="{size}" height="{size}" fill="{WHITE}"/>\n'
            f'<path fill="{BLACK}" d="{"".join(path)}"/>\n'
            "</svg>\n"
        )

    def png(self, module_px: int = 8) -> bytes:
        return png_from_matrix(self.modules, scale=module_px)


def make_qr(text: str, level: str | None = None) -> QR:
    """The code of `text`, at `level` or at the level chosen for size (see the module's docstring)."""
    level = level or choose_level(text)
    code = _qrcode(text, level, QUIET_ZONE)
    code.make(fit=True)
    return QR(text, level, int(code.version), tuple(tuple(row) for row in code.get_matrix()))


# ---- PNG without an imaging library --------------------------------------------------------------
# A 1-bit grayscale PNG is small enough to write by hand (signature, IHDR, one zlib IDAT, IEND), so
# neither the console nor the simulator needs Pillow.

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_from_matrix(modules: list[list[bool]] | tuple[tuple[bool, ...], ...], *, scale: int = 4) -> bytes:
    """A 1-bit grayscale PNG: each module `scale` pixels square, dark modules black."""
    size = len(modules) * scale
    raw = bytearray()
    for row in modules:
        bits = 0
        for dark in row:
            for _ in range(scale):
                bits = bits << 1 | (0 if dark else 1)
        pad = (-size) % 8
        line = (bits << pad).to_bytes((size + pad) // 8, "big")
        for _ in range(scale):
            raw += b"\x00" + line  # filter type 0 (None) per scanline
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return (
        _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")
    )


def invite_file_stem(gateway: str, conversation_id: str | None) -> str:
    """`convos-invite-<gateway>-<conversation id prefix>`, safe as a file name whatever the names hold."""

    def safe(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "x"

    stem = f"convos-invite-{safe(gateway)}"
    return f"{stem}-{safe(conversation_id[:12])}" if conversation_id else stem
