"""A QR code drawn in half blocks, black on white whatever the theme: scanners read contrast, not themes."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from convos_tui.qr import BLACK, QR, WHITE

# Explicit colours on every cell: a theme's foreground and background (light on dark in dark themes)
# would invert the code, which many scanners refuse.
CODE_STYLE = Style(color=BLACK, bgcolor=WHITE)


class QRCodeView(Widget):
    DEFAULT_CSS = "QRCodeView { width: auto; height: auto; }"

    def __init__(self, code: QR | None = None, *, zoom: int = 1, id: str | None = None) -> None:
        super().__init__(id=id)
        self.code = code
        self.zoom = zoom
        self._rows: list[str] = []
        self._draw()

    def show(self, code: QR | None, zoom: int = 1) -> None:
        self.code, self.zoom = code, zoom
        self._draw()
        self.refresh(layout=True)

    def _draw(self) -> None:
        self._rows = self.code.half_block_rows(self.zoom) if self.code is not None else []

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(self._rows[0]) if self._rows else 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        if y >= len(self._rows):
            return Strip.blank(self.size.width)
        row = self._rows[y]
        return Strip([Segment(row, CODE_STYLE)], len(row))
