"""Command palette entries: jump to any gateway by name (the fleet's actions are system commands of the app)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from convos_tui.ui.context import Context
from convos_tui.ui.messages import JumpTo

DISCOVERY_LIMIT = 20


class GatewayCommands(Provider):
    """`Go to gw-eu-1`: moves the cursor there (clearing a filter that hides it)."""

    def _names(self) -> list[tuple[str, str]]:
        context: Context = self.app.context  # type: ignore[attr-defined]  # the console's (ui/app.py)
        fleet = context.fleet
        return [(g.name, str(fleet.states[g.name].state)) for g in fleet.gateways if g.name in fleet.states]

    def _go(self, name: str) -> None:
        self.app.post_message(JumpTo(name))

    async def discover(self) -> Hits:
        for name, state in self._names()[:DISCOVERY_LIMIT]:
            yield DiscoveryHit(Text(f"Go to {name}"), partial(self._go, name), help=f"gateway, now {state}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, state in self._names():
            label = f"Go to {name}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._go, name), help=f"gateway, now {state}")
