"""What each fleet-table row shows, as plain data: cells, styles, sort keys.

Pure functions (no widgets), so the table can diff a row's new cells against the old ones and touch
only what changed. Every text comes from a gateway or a config, so cells are rich Text objects built
from plain strings: nothing here is ever parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import ORDER, GatewayState, State, describe_duration, short_id

# State styles: the word is always shown, so the table reads without colour too.
STATE_STYLE = {
    State.LIVE: "bold green",
    State.IDLE: "cyan",
    State.PENDING: "magenta",
    State.FLAPPING: "bold yellow",
    State.STALLED: "bold red",
    State.STARTING: "yellow",
    State.UNAUTHORIZED: "bold red",
    State.NO_PLUGIN: "bold red",
    State.UNREACHABLE: "bold red",
    State.ERROR: "bold red",
    State.UNKNOWN: "dim",
}
STATE_MARK = {State.LIVE: "●", State.IDLE: "○", State.PENDING: "◐", State.UNKNOWN: "·"}
FAULT_MARK = "▲"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    compact: bool  # shown on a narrow terminal too


COLUMNS = (
    Column("mark", " ", True),
    Column("state", "STATE", True),
    Column("name", "NAME", True),
    Column("url", "URL", False),
    Column("ready", "READY", False),
    Column("streaming", "STREAM", True),
    Column("conversation", "CONVERSATION", True),
    Column("latency", "LATENCY", True),
    Column("since", "SINCE", True),
    Column("tags", "TAGS", False),
)
SORTABLE = ("state", "name", "url", "ready", "streaming", "conversation", "latency", "since", "tags")


def state_text(state: State) -> Text:
    mark = FAULT_MARK if state.is_fault else STATE_MARK.get(state, "·")
    return Text(f"{mark} {state}", style=STATE_STYLE[state])


def yes_no(value: bool | None) -> Text:
    if value is None:
        return Text("-", style="dim")
    return Text("yes", style="green") if value else Text("no", style="yellow")


def latency_text(latency_ms: float | None) -> Text:
    if latency_ms is None:
        return Text("-", style="dim")
    style = "red" if latency_ms > 1000 else "yellow" if latency_ms > 250 else ""
    return Text(f"{latency_ms:.0f} ms" if latency_ms >= 10 else f"{latency_ms:.1f} ms", style=style)


def since_text(state: GatewayState, now: float) -> Text:
    if state.state == State.UNKNOWN:
        return Text("-", style="dim")
    return Text(describe_duration(now - state.since), style="dim")


def cells(config: GatewayConfig, state: GatewayState, *, now: float, marked: bool) -> dict[str, Text]:
    status = state.status if state.error is None else None
    return {
        "mark": Text("✔" if marked else " ", style="bold reverse" if marked else ""),
        "state": state_text(state.state),
        "name": Text(config.name, style="bold" if marked else ""),
        "url": Text(config.display_url, style="dim"),
        "ready": yes_no(status.ready if status else None),
        "streaming": yes_no(status.streaming if status else None),
        "conversation": Text(short_id(status.conversation_id if status else None)),
        "latency": latency_text(state.latency_ms),
        "since": since_text(state, now),
        "tags": Text(",".join(config.tags), style="dim"),
    }


_RANK = {state: index for index, state in enumerate(ORDER)}


def sort_key(column: str, config: GatewayConfig, state: GatewayState) -> tuple[object, ...]:
    """A key that sorts gateways by `column`, then by name, with missing values last."""
    status = state.status if state.error is None else None
    name = config.name.lower()
    if column == "state":
        # Faults first when sorting by state: that is what an on-call person looks for.
        return (0 if state.state.is_fault else 1, _RANK[state.state], name)
    if column == "url":
        return (config.url, name)
    if column in ("ready", "streaming"):
        value = getattr(status, column) if status else None
        return (value is None, value is True, name)
    if column == "conversation":
        cid = status.conversation_id if status else None
        return (cid is None, cid or "", name)
    if column == "latency":
        return (state.latency_ms is None, state.latency_ms or 0.0, name)
    if column == "since":
        return (-state.since, name)  # the most recent change first
    if column == "tags":
        return (",".join(config.tags), name)
    return (name,)
