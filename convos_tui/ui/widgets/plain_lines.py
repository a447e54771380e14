"""A widget's lines finished as Textual's styles cache finishes them, for a widget whose box is plain.

Textual's styles cache wraps every line it finishes in a new Strip, so the app's line filters (the
ANSI colours made true colours) run again on every line of every paint that redraws it: 5.5-7 ms for
45 table lines drawn again after a scroll or a sort at 5,000 gateways, on lines the table had already
drawn (benchmarks/ui.py). With no border, padding, outline, tint, hatch or opacity, finishing a line
is only fitting it to the widget's width and filtering it, and Strip caches both on the line itself:
a line drawn before costs two lookups. Anything else goes the styles cache's way.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


def plain_box(widget: Widget) -> bool:
    """Whether a line of `widget` is its content line fitted to its width and filtered, and nothing else."""
    styles = widget.styles
    return (
        widget.content_region.size == widget.region.size  # no padding or border: the gutter is empty
        and not any(edge for edge, _ in styles.outline)
        and not styles.tint.a
        and widget.opacity == 1.0
        and styles.text_opacity == 1.0
        and not styles.has_rule("hatch")
    )


def finished_lines(widget: Widget, crop: Region) -> list[Strip]:
    """The lines of `crop`, as Widget.render_lines would give them for a widget with a plain box."""
    width = widget.region.width
    base_background, background = widget.background_colors
    inner = widget._styles_cache.get_inner_outer(base_background, background)[0].rich_style
    filters = widget.get_line_filters()
    strips = []
    for y in crop.line_range:
        strip = widget.render_line(y).adjust_cell_length(width, inner)
        for line_filter in filters:
            strip = strip.apply_filter(line_filter, background)
        strips.append(strip)
    if crop.column_span != (0, width):
        x1, x2 = crop.column_span
        strips = [strip.crop(x1, x2) for strip in strips]
    return strips
