"""The fleet table as shown, as tab-separated text: the shown columns, the shown rows in their order.

Whole values, not the cells' cut ones: a conversation id in full, a state as its word, a name without the
launched mark; a tab or a line break inside a value becomes a space, so a spreadsheet or a ticket reads it whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState
from convos_tui.ui import rows as view


def _value(column: str, config: GatewayConfig, state: GatewayState, now: float) -> str:
    if column == "state":
        return str(state.state)
    if column == "name":
        return config.name
    if column == "conversation":
        status = state.status if state.error is None else None
        return (status.conversation_id if status else None) or "-"
    return "".join(words for words, _ in view.row_cells(config, state, now=now, marked=False)[column])


def table_tsv(columns: Iterable[str], rows: Iterable[tuple[GatewayConfig, GatewayState]], now: float) -> str:
    shown = [c for c in columns if c != "mark"]
    lines = ["\t".join(view.LABELS[c] for c in shown)]
    for config, state in rows:
        values = (_value(c, config, state, now) for c in shown)
        lines.append("\t".join(" ".join(v.replace("\t", " ").splitlines()) for v in values))
    return "\n".join(lines) + "\n"
