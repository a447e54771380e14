"""The Textual console. `ConvosApp(fleet, …)` is the factory tests call with injected data and clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.actions import parse as parse_action
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Input, TextArea

from convos_tui.clipboard import copy_text
from convos_tui.fleet.actions import ActionResult, Actions
from convos_tui.fleet.console_names import BINDING_IDS, KEYS
from convos_tui.fleet.fleet import Fleet
from convos_tui.fleet.invites import StoredInvite, find_invite
from convos_tui.fleet.state import GatewayState, State
from convos_tui.ui import keys
from convos_tui.ui import rows as view
from convos_tui.ui.commands import GatewayCommands
from convos_tui.ui.context import Context
from convos_tui.ui.idle_gc import IdleCollector
from convos_tui.ui.instances import ConsoleInstances
from convos_tui.ui.messages import (
    JumpTo,
    OpenDetail,
    OpenEvents,
    OpenGallery,
    OpenInvite,
    OpenPresentation,
    SetInterval,
)
from convos_tui.ui.pools import ConsolePools
from convos_tui.ui.screens.detail import DetailScreen
from convos_tui.ui.screens.events import EventsScreen
from convos_tui.ui.screens.gallery import InviteGallery
from convos_tui.ui.screens.help import HelpScreen
from convos_tui.ui.screens.main import INTERVALS, REFUSED_READ_ONLY, MainScreen
from convos_tui.ui.screens.presentation import PresentationScreen
from convos_tui.ui.screens.qr import QRPanel
from convos_tui.ui.widgets.store_banner import StoreBanner

DARK, LIGHT = "textual-dark", "textual-light"


# The .tcss files: in the package when installed from a wheel (convos_tui/styles), else the checkout's styles/.
STYLE_FOLDERS = (Path(__file__).resolve().parents[1] / "styles", Path(__file__).resolve().parents[2] / "styles")
STYLES = next((folder for folder in STYLE_FOLDERS if (folder / "app.tcss").is_file()), STYLE_FOLDERS[-1])


class ConvosApp(App[None]):
    TITLE = "convos-tui"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "qr.tcss", STYLES / "pools.tcss"]
    COMMANDS = App.COMMANDS | {GatewayCommands}
    BINDINGS = keys.bindings("app")  # fleet/console_names.py: KEYS

    def __init__(
        self,
        fleet: Fleet,
        *,
        read_only: bool = False,
        theme: str = DARK,
        keymap: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        live: bool = True,
        instances: ConsoleInstances | None = None,
        pools: ConsolePools | None = None,
        present: bool = False,
    ) -> None:
        super().__init__()
        self.present_at_start = present  # `convos-tui --presentation`, and `convos-tui web --presentation`
        # Told of every poll too, in the thread that reports it (the metrics' tally of `--metrics`).
        self.poll_listeners: list[Callable[[GatewayState], None]] = []
        self.fleet = fleet
        self.read_only = read_only
        self.clock = clock
        self.live = live  # False: show the fleet as given, never poll (tests, snapshots)
        self._theme_wanted = theme
        self._keymap_wanted = keymap or {}
        self.keymap: dict[str, str] = {}  # the config's remappings that apply (known ids)
        actions = Actions(fleet.store, read_only=read_only, poller=fleet.poller)
        # The instances of [[launchers]]: launched, terminated and recycled through the same action service;
        # the warm pools of [pools.NAME] keep some of them ready, on the same instance service.
        instances = instances or ConsoleInstances.open(fleet, actions)
        self.context = Context(
            fleet, actions, clock, read_only, self.copy_text, instances, pools or ConsolePools.open(instances)
        )
        self.main_screen = MainScreen(self.context)
        self.idle_gc = IdleCollector()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)
        ):
            self.idle_gc.touched()
        await super().on_event(event)

    @property
    def instances(self) -> ConsoleInstances:
        return self.context.instances

    @property
    def actions(self) -> Actions:
        return self.context.actions

    @actions.setter
    def actions(self, actions: Actions) -> None:
        self.context.actions = actions  # the screens share the context: they act through this one too

    async def on_mount(self) -> None:
        self._apply_theme(self._theme_wanted)
        self._apply_keymap(self._keymap_wanted)
        await self.push_screen(self.main_screen)
        self.instances.on_change = self._instances_changed
        # Stays while the store cannot write, or a run that did not finish left actions unknown.
        await self.main_screen.mount(StoreBanner(self.fleet.store, self.fleet.states), before="#body")
        for problem in self.fleet.problems:
            self.notify(problem, title="discovery", severity="warning", timeout=10)
        if self.fleet.store.warning:
            self.notify(self.fleet.store.warning, title="history", severity="warning", timeout=15)
        for notice in self.fleet.store.notices:  # e.g. the data dir was tightened
            self.notify(notice, title="history", timeout=10, markup=False)
        if self.live:
            self.context.pools.start()  # one reconciler per pool, while the console runs
            self.run_worker(self._tell_orphans(), group="orphans")
        poller = self.fleet.poller
        if self.live and poller is not None:
            poller.on_poll = self._polled
            poller.start_process()  # on another core than the console's: see Poller.start_process
            if poller.failure:  # it polls from a thread instead: slower at thousands of gateways, not wrong
                self.notify(
                    f"polling from a thread, not a process of its own: {poller.failure}",
                    title="poller",
                    severity="warning",
                    timeout=15,
                    markup=False,
                )
            self.idle_gc.start()  # full collections between keys, never during one: ui/idle_gc.py
            self.set_interval(1.0, self.idle_gc.tick)
        if self.present_at_start:
            self.present()

    async def _tell_orphans(self) -> None:
        """Say once, at start, what runs labelled for a launcher of this config that the store does not know: left by
        a lost data dir or another machine's console. Never removed from here."""
        try:
            orphans = await asyncio.to_thread(self.instances.orphans)  # asks the engine: not on the event loop
        except Exception:
            return  # an engine or store that cannot be asked now: the instances' own rows say so
        if orphans:
            shown = ", ".join(f"{o['name']} ({o['launcher']})" for o in orphans[:5])
            more = f" and {len(orphans) - 5} more" if len(orphans) > 5 else ""
            self.notify(
                f"{len(orphans)} orphan container{'s' if len(orphans) != 1 else ''}, labelled for a launcher of this "
                f"config but unknown to its store: {shown}{more}. `convos-tui instances` lists them; "
                "`convos-tui instances --remove-orphans` removes them after asking.",
                title="instances",
                severity="warning",
                timeout=30,
                markup=False,
            )

    async def on_unmount(self) -> None:
        await self.context.pools.stop()  # before the instances close: a launch under way cleans up first
        if self.live and self.fleet.poller is not None:
            await asyncio.to_thread(self.fleet.poller.stop_process)
            self.idle_gc.stop()
        self.context.pools.close()
        self.instances.close()

    def _instances_changed(self, names: set[str]) -> None:
        """Instances joined the fleet or left it: their rows come and go at once, not at the next poll."""
        for name in names:
            self.main_screen.mark_dirty(name)
        self.main_screen.rebuild()

    def _polled(self, state: GatewayState) -> None:
        # Runs in the thread that receives the polling process's batches: only hand the name over; the
        # screen's tick does the rest.
        self.main_screen.mark_dirty(state.name)
        for listener in self.poll_listeners:
            listener(state)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Run headless (snapshots, `demo --screenshots`, tests), no cursor blinks: a screen taken at any
        # moment is the same screen (a snapshot once failed on the frame a cursor had blinked off).
        if self.is_headless and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    # -- settings --------------------------------------------------------------------------------
    def _apply_theme(self, theme: str) -> None:
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.theme = DARK
            known = ", ".join(sorted(self.available_themes))
            self.notify(f"theme {theme!r} is not known; using {DARK}. Themes: {known}", severity="warning", timeout=10)

    def _apply_keymap(self, keymap: dict[str, str]) -> None:
        known = self.binding_ids()
        unknown = sorted(set(keymap) - known)
        if unknown:
            self.notify(
                f"[keymap] has unknown binding ids: {', '.join(unknown)}. Press ? for the ids.",
                severity="warning",
                timeout=10,
                markup=False,
            )
        self.keymap = {k: v for k, v in keymap.items() if k in known}
        self.set_keymap(self.keymap)

    def binding_ids(self) -> set[str]:
        return set(BINDING_IDS)

    def set_refresh(self, seconds: float) -> None:
        poller = self.fleet.poller
        if poller is not None:
            poller.set_interval(seconds)
            self.main_screen.say(f"polling every {seconds:g} s")
            self.main_screen.show_summary()

    def copy_text(self, text: str, *, what: str = "it") -> Text:
        """Copy per the config's clipboard mode (OSC 52 first: works over SSH); a line saying what happened."""
        outcome = copy_text(text, self.fleet.inventory.settings.clipboard, osc52=self.copy_to_clipboard)
        return Text(outcome.message or f"copied {what}", style="green" if outcome.copied else "yellow")

    def action_help_quit(self) -> None:
        # ctrl+c quits, as the README says and as k9s and lazydocker do; while typing in a field it copies
        # (the field's own binding) or, with nothing selected, says how to quit, as Textual does.
        if isinstance(self.focused, (Input, TextArea)):
            super().action_help_quit()
        else:
            self.exit()

    # -- navigation: the screens ask with a message (ui/messages.py); screens get the context -----
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    @on(OpenDetail)
    def _open_detail(self, message: OpenDetail) -> None:
        self.push_screen(DetailScreen(message.gateway, self.context))

    @on(OpenEvents)
    def show_events(self) -> None:
        self.push_screen(EventsScreen(self.context))

    @on(OpenGallery)
    def _open_gallery(self, message: OpenGallery) -> None:
        self.show_gallery(message.results)

    def show_gallery(self, results: Sequence[ActionResult]) -> None:
        """The invites a provisioning run made, with their QR codes."""
        self.push_screen(InviteGallery(results, self.context))

    @on(OpenInvite)
    def _open_invite(self, message: OpenInvite) -> None:
        self.show_invite(message.gateway, message.invite_url, message.conversation_id)

    def show_invite(self, name: str, invite_url: str | None = None, conversation_id: str | None = None) -> None:
        """The invite panel of a gateway: the invite a create just returned, else the stored one."""
        self.push_screen(QRPanel(self._invite(name, invite_url, conversation_id), self.context, env=self._env(name)))

    @on(OpenPresentation)
    def _open_presentation(self, message: OpenPresentation) -> None:
        name = message.gateway
        self.push_screen(PresentationScreen(self._invite(name) if name else None, self.context))

    def present(self) -> None:
        """Presentation mode, starting from the invite of the gateway under the cursor if it has one."""
        self.post_message(OpenPresentation(self.main_screen.table.cursor_name))

    @on(JumpTo)
    def _jump_to(self, message: JumpTo) -> None:
        self.jump_to(message.gateway)

    @on(SetInterval)
    def _set_interval(self, message: SetInterval) -> None:
        self.set_refresh(message.seconds)

    def _invite(self, name: str, invite_url: str | None = None, conversation_id: str | None = None) -> StoredInvite:
        state = self.fleet.states.get(name)
        bound = state.conversation_id if state is not None else None
        holds_none = state is not None and state.state == State.IDLE
        return find_invite(
            self.fleet.store,
            name,
            conversation_id=conversation_id,
            bound_conversation=bound,
            holds_none=holds_none,
            invite_url=invite_url,
        )

    def _env(self, name: str) -> str | None:
        config = self.fleet.config(name)
        return config.env if config is not None else None

    def jump_to(self, name: str) -> None:
        while self.screen is not self.main_screen and len(self.screen_stack) > 1:
            self.pop_screen()
        self.main_screen.jump_to(name)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        disabled = " — disabled: read-only mode" if self.read_only else ""
        for key in KEYS:  # the palette's entries of the bindings, with their keys as remapped
            if key.palette:
                _, name, params = parse_action(key.action)
                run = partial(getattr(self if key.screen == "app" else main, f"action_{name}"), *params)
                greyed = disabled if key.id in REFUSED_READ_ONLY else ""
                yield SystemCommand(key.palette + greyed, keys.shown(self, key, self.keymap) + key.hint, run)
        yield SystemCommand("Acknowledge every alert", "a acknowledges the row's", main.alerts_ack_all)
        for name, saved in sorted(main.views.saved.items()):
            yield SystemCommand(f"View: {name}", saved.filter or "every gateway", partial(main.views.apply, saved))
        yield SystemCommand("Light theme", "textual-light", lambda: setattr(self, "theme", LIGHT))
        yield SystemCommand("Dark theme", "textual-dark", lambda: setattr(self, "theme", DARK))
        sort, reverse, slower, faster = (
            keys.shown(self, keys.BY_ID[binding_id], self.keymap)
            for binding_id in ("sort", "sort-reverse", "interval-up", "interval-down")
        )
        for column in (c for c in view.SORTABLE if c in main.table.columns):  # a hidden column is no sort
            yield SystemCommand(
                f"Sort by {column}",
                f"{sort} / {reverse} cycle and reverse",
                lambda column=column: main.sort_by(column, reverse=False),
            )
        for seconds in INTERVALS:
            yield SystemCommand(
                f"Poll every {seconds:g} s",
                f"{slower} / {faster} step the interval",
                lambda seconds=seconds: self.set_refresh(seconds),
            )
