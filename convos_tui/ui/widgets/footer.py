"""The footer: Textual's, but a key that does not fit whole is left out rather than cut.

Textual's footer cuts its last key where the screen ends ("e Even▏^p Palette" at 80 columns). Here
the keys are laid out in their order while they fit whole beside the palette key, `?` (which lists
every key) is kept whatever else goes, and a narrow screen gets the compact style first.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

COMPACT_BELOW = 110  # columns: the width below which the fleet table drops columns too
KEPT = "help"  # the action of the key kept whatever else goes


class Footer(TextualFooter):
    def on_mount(self) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW

    async def recompose(self) -> None:
        await super().recompose()
        self.call_after_refresh(self.fit)

    def on_resize(self, event: events.Resize) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW
        self.call_after_refresh(self.fit)

    def fit(self) -> None:
        """Show the keys that fit whole, in their order, and `?`."""
        width = self.app.size.width  # the footer spans the screen
        keys = list(self.query_children(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        keys = [key for key in keys if key not in palette]
        room = width - sum(_width(key) for key in palette)
        room -= sum(_width(key) for key in keys if key.action == KEPT)
        for key in keys:
            if key.action == KEPT:
                continue
            room -= _width(key)
            key.display = room >= 0
            if room < 0:
                room = -1  # once one is left out, so are those after it: the order stays readable


def _width(key: FooterKey) -> int:
    """The cells a key takes: its words (paddings included) and its margins, border and padding."""
    return key.render().cell_len + key.styles.margin.width + key.styles.gutter.width
