"""Command palette entries: jump to any gateway by name (the fleet's actions are system commands of the app)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from convos_tui.ui.app import ConvosApp

DISCOVERY_LIMIT = 20


class GatewayCommands(Provider):
    """`Go to gw-eu-1`: moves the cursor there (clearing a filter that hides it)."""

    def _names(self) -> list[tuple[str, str]]:
        app: ConvosApp = self.app  # type: ignore[assignment]
        return [(g.name, str(app.fleet.states[g.name].state)) for g in app.fleet.gateways if g.name in app.fleet.states]

    async def discover(self) -> Hits:
        app: ConvosApp = self.app  # type: ignore[assignment]
        for name, state in self._names()[:DISCOVERY_LIMIT]:
            yield DiscoveryHit(Text(f"Go to {name}"), partial(app.jump_to, name), help=f"gateway, now {state}")

    async def search(self, query: str) -> Hits:
        app: ConvosApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for name, state in self._names():
            label = f"Go to {name}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(app.jump_to, name), help=f"gateway, now {state}")
