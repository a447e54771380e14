"""The header (counts per state, READ-ONLY and PAUSED badges) and the status line's fleet part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from convos_tui.fleet.state import ORDER, State, describe_duration
from convos_tui.ui.rows import STATE_STYLE

if TYPE_CHECKING:
    from convos_tui.fleet.fleet import Fleet
    from convos_tui.fleet.state import GatewayState

# Shorter state words for a narrow header, so every count still fits in 80 columns.
SHORT = {
    State.PENDING: "pend",
    State.FLAPPING: "flap",
    State.STALLED: "stall",
    State.STARTING: "start",
    State.UNAUTHORIZED: "unauth",
    State.NO_PLUGIN: "noplug",
    State.UNREACHABLE: "unreach",
    State.ERROR: "err",
    State.UNKNOWN: "?",
}


@dataclass(frozen=True)
class Summary:
    counts: dict[State, int]
    total: int
    shown: int
    marked: int
    marked_hidden: int
    swept_ago_s: float | None
    interval_s: float
    paused: bool
    profile: str | None
    read_only: bool

    @classmethod
    def of(cls, fleet: Fleet, counts: dict[State, int], *, shown: int, marked: int, marked_hidden: int, now: float,
           read_only: bool) -> Summary:  # fmt: skip
        """The fleet's summary now, with `counts` of its states (count_states)."""
        poller = fleet.poller
        swept = poller.last_poll_at if poller is not None else None
        return cls(counts=counts, total=len(fleet.states), shown=shown, marked=marked, marked_hidden=marked_hidden,
                   swept_ago_s=None if swept is None else max(0.0, now - swept),
                   interval_s=poller.interval_s if poller is not None else 0, paused=bool(poller and poller.paused),
                   profile=fleet.profile, read_only=read_only)  # fmt: skip


def count_states(states: Mapping[str, GatewayState]) -> dict[State, int]:
    """How many gateways are in each state (only the states present)."""
    every = [state.state for state in states.values()]
    return {state: every.count(state) for state in set(every)}  # a few states: one count in C each


def header_text(summary: Summary, *, narrow: bool) -> Text:
    text = Text()
    if not narrow:  # on 80 columns every cell goes to the counts
        text.append(" convos-tui ", style="bold reverse")
        text.append(" ")
    # What changes how the console behaves comes first: it must stay visible on a narrow terminal.
    if summary.read_only:
        text.append(" READ-ONLY ", style="bold white on red")
        text.append(" ")
    if summary.paused:
        text.append(" PAUSED ", style="bold black on yellow")
        text.append(" ")
    # Only the states present: ten counts, mostly zeros, would not fit.
    present = [(state, summary.counts.get(state, 0)) for state in ORDER if summary.counts.get(state, 0)]
    for state, count in present:
        word = SHORT.get(state, str(state)) if narrow else str(state)
        text.append(f" {count} {word}", style=STATE_STYLE[state])
        if not narrow:
            text.append(" ")
    if not any(state.is_fault for state, _ in present) and summary.total:
        text.append(" no faults", style="green")
    return text


def fleet_text(summary: Summary) -> Text:
    """The right side of the status line: what is shown, marked, and how fresh it is."""
    text = Text()
    shown = f"{summary.shown} of {summary.total}" if summary.shown != summary.total else f"{summary.total}"
    text.append(f"{shown} gateway{'' if summary.total == 1 else 's'}")
    if summary.marked:
        hidden = f", {summary.marked_hidden} hidden by the filter" if summary.marked_hidden else ""
        text.append("  ")
        text.append(f" {summary.marked} marked{hidden} ", style="bold reverse")
    text.append("  ")
    if summary.swept_ago_s is None:
        text.append("not polled yet", style="dim")
    else:
        text.append(f"polled {describe_duration(summary.swept_ago_s)} ago", style="dim")
    text.append(f", every {summary.interval_s:g} s", style="dim")
    if summary.profile:
        text.append(f"  profile {summary.profile}", style="bold")
    return text


class SummaryBar(Static):
    def show(self, summary: Summary) -> None:
        # The terminal's width, known from the start (the bar's own width is 0 until laid out).
        self.update(header_text(summary, narrow=self.app.size.width < 110))


def status_text(filters: str, sort: str, message: Text, summary: Summary | None, width: int) -> Text:
    """The status line: the filter, the sort, the last message, and the fleet's part on the right."""
    line = Text()
    if filters:
        line.append(" filter ", style="bold reverse")
        line.append(" " + filters)
        line.append("   ")
    line.append(sort, style="dim")
    if message:
        line.append("   ")
        line.append_text(message)
    right = fleet_text(summary) if summary is not None else Text()
    if line.cell_len + right.cell_len + 3 <= width:
        line.append(" " * (width - line.cell_len - right.cell_len))
        line.append_text(right)
    else:  # each part whole, on lines of its own: the message wraps by words, the fleet's part under it
        line.append("\n" + " " * max(0, width - right.cell_len))
        line.append_text(right)
    return line
