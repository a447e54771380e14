"""Read a QR code back from the screen exactly as the console drew it: cells and colours → image → zxing-cpp.

Every cell becomes one pixel wide and two tall (its upper and lower half), coloured from the cell's own
character and colours: `▀` upper half in the foreground colour, lower in the background, `▄` the other way
round, `█` both foreground, anything else both background. Whatever surrounds the code on screen (the
theme's panel, text) goes into the image too, so a code without its own quiet zone, or drawn in theme
colours, does not decode.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image
from rich.color import Color
from textual.app import App
from textual.geometry import Region
from textual.strip import Strip

UPPER, LOWER, FULL = "▀", "▄", "█"


def screen_strips(app: App) -> list[Strip]:
    """The screen as composited for the terminal: every widget, every layer, after the line filters."""
    return app.screen._compositor.render_strips()


def _rgb(color: Color | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if color is None:
        return default
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def cells(strips: list[Strip]) -> list[list[tuple[str, tuple[int, int, int], tuple[int, int, int]]]]:
    """(character, foreground RGB, background RGB) of every cell."""
    grid = []
    for strip in strips:
        row = []
        for segment in strip:
            style = segment.style
            fg = _rgb(style.color if style else None, (128, 128, 128))
            bg = _rgb(style.bgcolor if style else None, (128, 128, 128))
            if style is not None and style.reverse:
                fg, bg = bg, fg
            row.extend((char, fg, bg) for char in segment.text)
        grid.append(row)
    return grid


def image_of(strips: list[Strip], region: Region | None = None, scale: int = 4) -> Image.Image:
    grid = cells(strips)
    if region is not None:
        grid = [row[region.x : region.right] for row in grid[region.y : region.bottom]]
    width = max(len(row) for row in grid)
    image = Image.new("RGB", (width, len(grid) * 2), (128, 128, 128))
    pixels = image.load()
    for y, row in enumerate(grid):
        for x, (char, fg, bg) in enumerate(row):
            pixels[x, 2 * y] = fg if char in (UPPER, FULL) else bg
            pixels[x, 2 * y + 1] = fg if char in (LOWER, FULL) else bg
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)


def decode(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds, as a scanner would: no inverted codes (a phone camera app may not)."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
    return [result.text for result in results]
