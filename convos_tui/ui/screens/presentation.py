"""Presentation mode, for a demo booth: a big title, the invite's code as large as the screen allows, the URL
and the gateway. `n` claims a ready instance from a warm pool when the config has one (its invite at once), else
creates a fresh conversation on the next idle gateway, and shows its code.

The create goes through the action service like every other (read-only refuses it, the audit and the
store record it), and is never retried: a failed one is shown, and the next `n` tries the next gateway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.invites import StoredInvite, find_invite
from convos_tui.fleet.state import State
from convos_tui.qr import QR, make_qr
from convos_tui.ui.keys import bindings, hint, key_of
from convos_tui.ui.results import said, useful_hint
from convos_tui.ui.screens.qr import (
    copy_invite,
    copy_save_keys,
    details_text,
    save_invite,
    show_code,
    url_text,
)
from convos_tui.ui.widgets.qr import QRCodeView

if TYPE_CHECKING:
    from convos_tui.ui.context import Context

# Cells around the code, in step with styles/qr.tcss: info column 44 + gap 2 + margins 2 across,
# title 3 + key line 1 down.
PRESENT_CHROME = (48, 4)


class PresentationScreen(Screen[None]):
    BINDINGS = bindings("present")  # fleet/console_names.py: KEYS

    def __init__(self, invite: StoredInvite | None, context: Context) -> None:
        super().__init__(id="presentation")
        self.context = context
        self.invite = invite if invite is not None and invite.usable else None
        self.code: QR | None = None
        self.zoom_wanted = True  # a phone at arm's length reads big modules best
        self.busy = False
        self.tried: set[str] = set()  # gateways this session created on (or failed to): not idle any more

    def compose(self) -> ComposeResult:
        yield Static(id="present-title")
        with Horizontal(id="present-body"):
            yield QRCodeView(id="present-code")
            yield Static(id="present-notice", classes="code-notice")
            with Vertical(id="present-info"):
                yield Static(id="present-details")
                yield Static(id="present-url")
                yield Static(id="present-message")
        keys = hint(
            self.app,
            ("present-zoom", "zoom"),
            ("present-copy", "copy the URL"),
            ("present-save", "save SVG and PNG"),
            ("present-leave", "leave"),
        )
        pool = self.pool
        following = hint(self.app, ("present-next", f"next invite (pool {pool})" if pool else "next conversation"))
        yield Static(Text(keys if self.context.read_only else f"{following} · {keys}", style="dim"), id="present-keys")

    @property
    def pool(self) -> str | None:
        """The pool `n` claims from: the first with a ready instance, else the first of the config."""
        pools = self.context.pools
        if not pools.configured:
            return None
        ready = [s.name for s in pools.summaries() if s.counts.get("ready", 0) > 0]
        return ready[0] if ready else pools.configured[0].name

    def on_mount(self) -> None:
        self.app.clear_notifications()  # a toast over the code would stop a phone reading it
        self.show_invite(self.invite)

    def on_resize(self, event: events.Resize) -> None:
        self.lay_out(event.size)

    # -- drawing ---------------------------------------------------------------------------------
    def show_invite(self, invite: StoredInvite | None) -> None:
        self.invite = invite
        self.code = make_qr(invite.url) if invite is not None and invite.url else None
        title = Text("Scan to join", style="bold")
        if invite is not None and invite.name:
            title.append(f" — {invite.name}")
        self.query_one("#present-title", Static).update(title)
        env = self._env(invite.gateway) if invite is not None else None
        self.query_one("#present-details", Static).update(details_text(invite, env) if invite else Text())
        self.query_one("#present-url", Static).update(url_text(invite) if invite else Text())
        self.lay_out(self.app.size)

    def _env(self, gateway: str) -> str | None:
        config = self.context.fleet.config(gateway)
        return config.env if config is not None else None

    def lay_out(self, space: Size) -> None:
        empty = (
            f"No invite yet, and read-only mode creates none: leave ({key_of(self.app, 'present-leave')}), put the "
            "cursor on a gateway whose invite this console holds, and press "
            f"{key_of(self.app, 'present')} again; or start without --read-only."
            if self.context.read_only
            else f"No invite yet: press {key_of(self.app, 'present-next')} to claim one from pool {pool}."
            if (pool := self.pool)
            else f"No invite yet: press {key_of(self.app, 'present-next')} to create a conversation on the next idle gateway."
        )
        show_code(
            self,
            self.code,
            PRESENT_CHROME,
            space=space,
            zoom_wanted=self.zoom_wanted,
            empty=Text(empty, style="bold"),
            keys=copy_save_keys(self, "present"),
        )

    def say(self, text: str, style: str = "") -> None:
        self.query_one("#present-message", Static).update(Text(text, style=style))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:  # shown here; the console goes on
            self.busy = False
            error = event.worker.error
            self.say(f"the create stopped on an unexpected error: {type(error).__name__}: {error}", "bold red")

    # -- keys ------------------------------------------------------------------------------------
    def action_leave(self) -> None:
        self.app.pop_screen()

    def action_zoom(self) -> None:
        self.zoom_wanted = not self.zoom_wanted
        self.lay_out(self.app.size)

    def action_copy(self) -> None:
        self.query_one("#present-message", Static).update(copy_invite(self.context, self.invite))

    def action_save(self) -> None:
        self.query_one("#present-message", Static).update(save_invite(self.invite, self.code))

    def next_idle(self) -> GatewayConfig | None:
        fleet = self.context.fleet
        for gateway in fleet.gateways:
            state = fleet.states.get(gateway.name)
            if state is not None and state.state == State.IDLE and gateway.name not in self.tried:
                return gateway
        return None

    def not_polled_yet(self) -> str:
        """How many gateways `n` might still create on have had no poll answer yet, in words ("" for none)."""
        fleet = self.context.fleet
        states = [fleet.states.get(g.name) for g in fleet.gateways if g.name not in self.tried]
        count = sum(state is None or state.last_poll is None for state in states)
        if not count:
            return ""
        return "the fleet is" if count == len(fleet.gateways) else f"{count} gateway{'s' * (count > 1)}"

    def action_next(self) -> None:
        if self.busy:
            self.say("already creating one: wait for it", "yellow")
            return
        pool = self.pool
        if pool is not None:  # a warm pool hands out an invite at once; an empty one says when the next is ready
            self.claim_from(pool)
            return
        gateway = self.next_idle()
        if gateway is None and (waiting := self.not_polled_yet()):
            # Before the first poll answers no gateway is idle yet: there may well be one, so wait, not give up.
            self.say(f"{waiting} not polled yet: wait for the first poll to answer, then press n again", "yellow")
            return
        if gateway is None:
            self.say("no idle gateway left to create on: explode a used one, or add gateways", "bold yellow")
            return
        self.create_on(gateway)

    @work(exclusive=True, group="present", exit_on_error=False)
    async def create_on(self, gateway: GatewayConfig) -> None:
        self.busy = True
        if not self.context.read_only:  # refused before any request: the gateway is as idle as it was
            self.tried.add(gateway.name)
        started = self.context.clock()  # the app's clock: fixed in tests and snapshots

        def progress() -> None:
            self.say(
                f"creating a conversation on {gateway.name}… {self.context.clock() - started:.0f} s (2-5 s)", "bold"
            )

        progress()
        timer = self.set_interval(0.5, progress)
        try:
            result = await self.context.actions.create(gateway)
        finally:
            timer.stop()
            self.busy = False
        if not result.ok:
            hint = f" {hint}" if (hint := useful_hint(result)) else ""
            self.say(f"{gateway.name}: {said(result)}.{hint}", "bold red")
            return
        self.show_invite(
            find_invite(
                self.context.fleet.store,
                gateway.name,
                conversation_id=result.data.get("conversation_id"),
                invite_url=result.data.get("invite_url"),
            )
        )
        self.say(f"created on {gateway.name} in {result.elapsed_s:.1f} s", "green")

    @work(exclusive=True, group="present", exit_on_error=False)
    async def claim_from(self, pool: str) -> None:
        self.busy = True
        self.say(f"claiming a ready instance from pool {pool}…", "bold")
        try:
            result = await self.context.pools.claim(pool)
        finally:
            self.busy = False
        if not result.ok:
            hint = f" {hint}" if (hint := useful_hint(result)) else ""
            self.say(f"pool {pool}: {said(result)}.{hint}", "bold red")
            return
        gateway = result.data.get("gateway") or result.data.get("instance") or result.gateway
        self.show_invite(
            find_invite(
                self.context.fleet.store,
                gateway,
                conversation_id=result.data.get("conversation_id"),
                invite_url=result.data.get("invite_url"),
            )
        )
        took = result.data.get("claim_ms")
        self.say(f"claimed {gateway} from pool {pool}" + (f" in {took:.0f} ms" if took is not None else ""), "green")
