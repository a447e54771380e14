"""Action panels: modal forms for create, join, send, rename, lock/unlock and explode, on one gateway or
on the marked ones.

Every panel only gathers what to do and shows what happened: the work is the action service's (read-only,
audit, stored invites, re-poll, bounded concurrency). Errors are shown in the panel, in words, with the
full text one key away.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, Static, TextArea

from convos_tui.api.interpret import one_line
from convos_tui.export import write_csv_and_json
from convos_tui.fleet.actions import OK, REFUSED, UNKNOWN, ActionResult, tally
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import State

if TYPE_CHECKING:
    from convos_tui.ui.app import ConvosApp

ENVS = [("dev", "dev"), ("production", "production")]
PERMISSIONS = [("default (all members)", ""), ("all members may add", "all-members"), ("admins only", "admin-only")]


class ActionPanel(ModalScreen["ActionResult | list[ActionResult] | None"]):
    """The frame every panel shares: a title, the form, a result line, Cancel and the action's button.

    On one gateway the panel shows the result in words. On several (the marked rows) it first says what
    will happen and asks for the action's word typed in capitals, then runs the action with bounded
    concurrency behind a progress bar, and lists the result of every gateway, to copy or save.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="panel-cancel"),
        Binding("d", "show_detail", "Full error", id="panel-detail", show=False),
        Binding("ctrl+s", "submit", "Go", id="panel-submit"),
        Binding("y", "copy_results", "Copy results", id="panel-copy", show=False),
        Binding("w", "save_results", "Save results", id="panel-save", show=False),
    ]
    AUTO_FOCUS = "Input, TextArea"  # the first field: a paste right after the key lands in it
    ACTION = ""
    TITLE = ""
    BUTTON = "Go"
    BUTTON_VARIANT = "primary"

    def __init__(self, gateways: GatewayConfig | Sequence[GatewayConfig]) -> None:
        super().__init__(classes="action-panel")
        self.gateways = [gateways] if isinstance(gateways, GatewayConfig) else list(gateways)
        self.gateway = self.gateways[0]
        self.result: ActionResult | None = None
        self.results: list[ActionResult] | None = None  # bulk: one per gateway, once the run is over
        self.busy = False
        self.stopping = False
        self.bulk = len(self.gateways) > 1  # confirm with a word, progress bar, results list

    @property
    def convos(self) -> ConvosApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        target = counted(len(self.gateways), "gateway") if self.bulk else self.gateway.name
        with Vertical(classes="panel-box"):
            yield Static(Text(f"{self.TITLE} — {target}", style="bold"), classes="panel-title")
            if self.bulk:
                yield Static(self.bulk_summary(), id="bulk-summary")
            # The form scrolls inside a height that fits the terminal, so the buttons are always on screen.
            with VerticalScroll(classes="panel-form"):
                yield from self.form()
                if not self.bulk:
                    yield Static(id="panel-result")
            if self.bulk:
                # Once the run starts, the results take the form's place.
                yield ProgressBar(total=len(self.gateways), show_eta=False, id="bulk-progress")
                yield DataTable(id="bulk-results", cursor_type="row", zebra_stripes=True)
                yield Static(id="panel-result")
                yield Input(placeholder=f"type {self.word} to confirm", id="bulk-confirm")
            with Horizontal(classes="panel-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.BUTTON, id="go", variant=self.BUTTON_VARIANT)  # type: ignore[arg-type]

    def form(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.set_class(self.bulk, "-bulk")
        if self.bulk:
            self.query_one("#go", Button).disabled = True
            self.query_one("#bulk-progress").display = False
            table = self.query_one("#bulk-results", DataTable)
            table.add_columns("gateway", "outcome", "took", "result")
            table.display = False

    # -- bulk: what will happen, and the typed confirmation ----------------------------------------
    @property
    def word(self) -> str:
        return (self.ACTION or self.BUTTON).upper()

    def bulk_summary(self) -> Text:
        """One sentence on what will happen, the gateways it names, and what to type."""
        names = [g.name for g in self.gateways]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        text = Text()
        text.append(self.bulk_what(), style="bold")
        text.append(f"\n{shown}\n")
        text.append(f"Type {self.word} below to confirm.", style="bold yellow")
        return text

    def bulk_what(self) -> str:
        return f"{self.ACTION} on {counted(len(self.gateways), 'gateway')}"

    def holding_conversations(self) -> int:
        states = self.convos.fleet.states
        return sum(1 for g in self.gateways if (s := states.get(g.name)) and s.conversation_id)

    @on(Input.Changed, "#bulk-confirm")
    def update_go(self) -> None:
        """The action's button works once its word is typed, and never twice."""
        typed = self.query_one("#bulk-confirm", Input).value.strip()
        self.query_one("#go", Button).disabled = typed != self.word or self.results is not None

    # -- running ---------------------------------------------------------------------------------
    def say(self, text: str | Text, style: str = "") -> None:
        self.query_one("#panel-result", Static).update(text if isinstance(text, Text) else Text(text, style=style))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.busy and self.bulk:
            # Requests already sent cannot be called back; the ones not started yet are not sent.
            self.stopping = True
            self.say("stopping: no further gateway is started, those in flight finish", "bold yellow")
            return
        self.dismiss(self.results if self.bulk else self.result)

    @on(Input.Submitted, "#bulk-confirm")
    def action_submit(self) -> None:
        button = self.query_one("#go", Button)
        if not button.disabled:
            self._go()
        elif self.bulk and not self.busy and self.results is None:
            # The form is filled in: what is left is the word (ctrl+s, then type it, then enter).
            self.query_one("#bulk-confirm", Input).focus()
            self.say(f"type {self.word} to confirm, then enter", "bold yellow")

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        if (self.result is not None and self.result.ok) or self.results is not None:
            self.action_cancel()  # the button reads "Close" once done
            return
        if not self.busy:
            self.run_action()

    @work(exclusive=True)
    async def run_action(self) -> None:
        self.busy = True
        self.query_one("#go", Button).disabled = True
        started = self.convos.clock()  # the app's clock: fixed in tests and snapshots
        values = self.values()  # read once: editing the form during a run changes nothing
        if self.bulk:
            await self._run_bulk(values, started)
            return
        elapsed = lambda: f"{self.progress()} {self.convos.clock() - started:.0f} s"  # noqa: E731
        timer = self.set_interval(1.0, lambda: self.say(elapsed(), "dim"))
        self.say(f"{self.progress()}…", "dim")
        try:
            result = await self.perform(self.gateway, values)
        finally:
            timer.stop()
            self.busy = False
            self.query_one("#go", Button).disabled = False
        self.result = result
        self.show_result(result)
        # Out of the field, so `d` (the full answer) works; enter then closes, or cancels after a failure.
        self.query_one("#go" if result.ok else "#cancel", Button).focus()

    async def _run_bulk(self, values: dict[str, Any], started: float) -> None:
        what = self.bulk_what()  # as confirmed: the states it counts change during the run
        self.query_one("#bulk-confirm", Input).disabled = True
        bar = self.query_one("#bulk-progress", ProgressBar)
        table = self.query_one("#bulk-results", DataTable)
        bar.display = table.display = True
        self.query_one(".panel-form").display = self.query_one("#bulk-confirm").display = False
        table.focus()

        def tell() -> None:
            done = f"{int(bar.progress)} of {len(self.gateways)} done, {self.convos.clock() - started:.0f} s"
            if self.stopping:
                self.say(f"{done}; stopping: no further gateway is started, those in flight finish", "bold yellow")
            else:
                self.say(f"{done}; escape stops", "dim")

        async def one(gateway: GatewayConfig) -> ActionResult:
            if self.stopping:
                return ActionResult(gateway.name, self.ACTION, REFUSED, "not started: the run was stopped")
            return await self.perform(gateway, values)

        def done(result: ActionResult) -> None:
            bar.advance(1)
            table.add_row(*result_cells(result), key=result.gateway)
            tell()

        timer = self.set_interval(1.0, tell)
        tell()
        try:
            results = await self.convos.actions.bulk(self.gateways, one, on_result=done)
        finally:
            timer.stop()
            self.busy = False
        self.results = results
        self.say(bulk_outcome(results, self.convos.clock() - started))
        self.query_one("#bulk-summary", Static).update(Text(what, style="bold"))
        go = self.query_one("#go", Button)
        go.label, go.disabled = "Close", False
        go.focus()

    def values(self) -> dict[str, Any]:
        """What the form says, read once before the run."""
        return {}

    def progress(self) -> str:
        return "working"

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        raise NotImplementedError

    def show_result(self, result: ActionResult) -> None:
        text = Text()
        if result.outcome == OK:
            text.append("✔ ", style="bold green")
            text.append(result.summary)
            if result.data.get("invite_url"):
                text.append("\ninvite: ", style="bold")
                text.append(result.data["invite_url"])
            self.query_one("#go", Button).label = "Close"
        else:
            style = "bold yellow" if result.outcome in (REFUSED, UNKNOWN) else "bold red"
            text.append(f"{result.outcome}: ", style=style)
            text.append(result.summary)
            if result.hint:
                text.append(f"\n{result.hint}", style="dim")
            if result.detail and result.detail != result.summary:
                text.append("\nd shows the gateway's full answer", style="dim")
        self.say(text)

    def action_show_detail(self) -> None:
        if self.bulk and self.results is not None:
            table = self.query_one("#bulk-results", DataTable)
            if table.row_count:
                name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
                chosen = next((r for r in self.results if r.gateway == name), None)
                if chosen is not None:
                    self.say(Text(f"{chosen.gateway}: {chosen.detail or chosen.summary}"[:6000]))
            return
        if self.result is not None and self.result.detail:
            self.say(Text(self.result.detail[:6000]))

    # -- the results of a bulk run -----------------------------------------------------------------
    def action_copy_results(self) -> None:
        if self.results is not None:
            self.say(self.convos.copy_text(results_text(self.results), what="the results"))

    def action_save_results(self) -> None:
        if self.results is None:
            return
        try:
            paths = save_results(self.results, self.ACTION, Path.cwd(), now=self.convos.clock())
        except OSError as exc:
            self.say(f"could not save the results: {exc.strerror or exc}. They are still listed here.", "bold red")
            return
        self.say(Text("saved " + " and ".join(str(p) for p in paths), style="green"))


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def result_cells(result: ActionResult) -> tuple[Text, Text, Text, Text]:
    style = {OK: "green", REFUSED: "yellow", UNKNOWN: "yellow"}.get(result.outcome, "red")
    return (Text(result.gateway), Text(result.outcome, style=style), Text(f"{result.elapsed_s:.1f} s"),
            Text(result.summary))


def bulk_outcome(results: Sequence[ActionResult], elapsed_s: float) -> Text:
    text = Text(f"done in {elapsed_s:.1f} s: ", style="bold")
    text.append(tally(results))
    text.append("\ny copies the results, w saves them (CSV and JSON), d shows a row's full answer", style="dim")
    return text


RESULT_FIELDS = ("gateway", "action", "outcome", "summary", "hint", "elapsed_s", "conversation_id", "invite_url")


def results_text(results: Sequence[ActionResult]) -> str:
    """Tab-separated, one gateway a line: pastes into a ticket or a spreadsheet."""
    lines = ["\t".join(RESULT_FIELDS)]
    for result in results:
        row = result.as_dict()
        lines.append("\t".join(one_line(str(row.get(key) or ""), limit=10_000) for key in RESULT_FIELDS))
    return "\n".join(lines) + "\n"


def save_results(results: Sequence[ActionResult], action: str, folder: Path, *, now: float) -> list[Path]:
    """`convos-<action>-<UTC time>.csv` and `.json` in `folder`."""
    return write_csv_and_json([r.as_dict() for r in results], RESULT_FIELDS, folder, f"convos-{action}", now=now)


class CreatePanel(ActionPanel):
    ACTION = "create"
    TITLE = "Create a conversation"
    BUTTON = "Create"

    def form(self) -> ComposeResult:
        yield Label("Conversation name")
        yield Input(placeholder="Convos Agent", id="name")
        yield Label("Network")
        if self.bulk:  # each gateway keeps its own network unless one is chosen for all
            yield Select([("each gateway's own", ""), *ENVS], value="", allow_blank=False, id="env")
        else:
            yield Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")
        yield Label("Agent's profile name (default: the conversation name)")
        yield Input(id="profile-name")
        yield Label("Description (optional)")
        yield Input(id="description")
        yield Label("Who may add members")
        yield Select(PERMISSIONS, value="", allow_blank=False, id="permissions")
        yield Label("Instructions for the agent (written to the gateway's INSTRUCTIONS.md)")
        yield TextArea(id="instructions")

    def bulk_what(self) -> str:
        states = self.convos.fleet.states
        busy = sum(1 for g in self.gateways if (s := states.get(g.name)) and s.state is not State.IDLE)
        refused = f" ({busy} of them are not idle: those will refuse)" if busy else ""
        return f"create a conversation on each of {counted(len(self.gateways), 'gateway')}{refused}"

    def progress(self) -> str:
        return "creating (2-5 s on a healthy gateway)"

    def values(self) -> dict[str, Any]:
        value = lambda widget_id: self.query_one(f"#{widget_id}", Input).value.strip() or None  # noqa: E731
        return {
            "name": value("name"),
            "env": str(self.query_one("#env", Select).value) or None,
            "profile_name": value("profile-name"),
            "description": value("description"),
            "permissions": str(self.query_one("#permissions", Select).value) or None,
            "instructions": self.query_one("#instructions", TextArea).text.strip() or None,
        }

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.convos.actions.create(gateway, **{**values, "env": values["env"] or gateway.env})


class ProvisionPanel(CreatePanel):
    """Create conversations on N idle gateways at once: the first N of the idle ones offered."""

    TITLE = "Provision conversations"

    def __init__(self, candidates: Sequence[GatewayConfig], count: int = 1) -> None:
        super().__init__(list(candidates)[: max(1, count)])
        self.candidates = list(candidates)
        self.bulk = True  # even for one: the summary, the typed word, the results and the gallery
        self.count_ok = True

    def update_go(self) -> None:
        super().update_go()
        if not self.count_ok:  # the word alone does not start a run of an impossible size
            self.query_one("#go", Button).disabled = True

    def form(self) -> ComposeResult:
        yield Label(f"How many conversations (1-{len(self.candidates)}: one per idle gateway)")
        yield Input(str(len(self.gateways)), id="count", type="integer")
        yield from super().form()

    def bulk_what(self) -> str:
        return f"create {counted(len(self.gateways), 'conversation')}, one on each idle gateway"

    @on(Input.Changed, "#count")
    def _count_typed(self, event: Input.Changed) -> None:
        try:
            count = int(event.value)
        except ValueError:
            count = 0
        self.count_ok = 1 <= count <= len(self.candidates)
        if not self.count_ok:
            self.say(f"type a number from 1 to {len(self.candidates)}", "bold yellow")
            self.query_one("#go", Button).disabled = True
            return
        self.say("")
        self.gateways = self.candidates[:count]
        self.query_one("#bulk-summary", Static).update(self.bulk_summary())
        self.query_one("#bulk-progress", ProgressBar).total = count
        self.query_one(".panel-title", Static).update(Text(f"{self.TITLE} — {counted(count, 'gateway')}", style="bold"))
        self.update_go()


class JoinPanel(ActionPanel):
    ACTION = "join"
    TITLE = "Join a conversation"
    BUTTON = "Join"

    def form(self) -> ComposeResult:
        yield Label("Invite URL or slug")
        yield Input(placeholder="https://popup.convos.org/v2?i=…", id="invite")
        yield Label("Agent's profile name (optional)")
        yield Input(id="profile-name")
        yield Label("Network")
        yield Select(ENVS, value=self.gateway.env, allow_blank=False, id="env")

    def bulk_what(self) -> str:
        return f"join {counted(len(self.gateways), 'gateway')} to the same conversation"

    def progress(self) -> str:
        return "joining: the gateway waits up to a minute for the creator to accept…"

    def values(self) -> dict[str, Any]:
        return {
            "invite": self.query_one("#invite", Input).value,
            "profile_name": self.query_one("#profile-name", Input).value.strip() or None,
            "env": str(self.query_one("#env", Select).value),
        }

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.convos.actions.join(gateway, values["invite"], profile_name=values["profile_name"],
                                              env=values["env"])


class SendPanel(ActionPanel):
    ACTION = "send"
    TITLE = "Send a message"
    BUTTON = "Send"

    def form(self) -> ComposeResult:
        yield Label("Message (sent whole, as written)")
        yield TextArea(id="message")

    def bulk_what(self) -> str:
        return f"send this message into {counted(self.holding_conversations(), 'conversation')} on {counted(len(self.gateways), 'gateway')}"

    def values(self) -> dict[str, Any]:
        return {"message": self.query_one("#message", TextArea).text}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.convos.actions.send(gateway, values["message"])


class RenamePanel(ActionPanel):
    ACTION = "rename"
    TITLE = "Rename the agent"
    BUTTON = "Rename"

    def form(self) -> ComposeResult:
        yield Label("The agent's profile name in this conversation (the conversation's own name does not change)")
        yield Input(id="profile-name")

    def bulk_what(self) -> str:
        return f"rename the agent in {counted(self.holding_conversations(), 'conversation')} on {counted(len(self.gateways), 'gateway')}"

    def values(self) -> dict[str, Any]:
        return {"profile_name": self.query_one("#profile-name", Input).value.strip()}

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.convos.actions.rename(gateway, values["profile_name"])


class LockPanel(ActionPanel):
    ACTION = "lock"
    TITLE = "Lock the conversation"
    BUTTON = "Lock"
    BUTTON_VARIANT = "warning"

    def __init__(self, gateways: GatewayConfig | Sequence[GatewayConfig], *, unlock: bool = False) -> None:
        super().__init__(gateways)
        self.unlock = unlock
        if unlock:
            self.ACTION, self.TITLE, self.BUTTON = "unlock", "Unlock the conversation", "Unlock"

    def form(self) -> ComposeResult:
        warning = (
            "Unlocking lets people join again, but only with a new invite: earlier invites stay dead."
            if self.unlock
            else "Locking stops anyone new from joining, and every earlier invite of this conversation stops working."
        )
        yield Static(Text(warning, style="bold yellow"))

    def bulk_what(self) -> str:
        return f"{self.ACTION} {counted(self.holding_conversations(), 'conversation')} on {counted(len(self.gateways), 'gateway')}"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#cancel", Button).focus()

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.convos.actions.lock(gateway, unlock=self.unlock)


class ExplodePanel(ActionPanel):
    ACTION = "explode"
    TITLE = "Explode the conversation"
    BUTTON = "Explode"
    BUTTON_VARIANT = "error"

    def __init__(self, gateways: GatewayConfig | Sequence[GatewayConfig], conversation_id: str | None = None) -> None:
        super().__init__(gateways)
        self.conversation_id = conversation_id

    def form(self) -> ComposeResult:
        if self.bulk:
            yield Static(Text("This destroys each conversation for everyone in it, and cannot be undone.",
                              style="bold red"))
            return
        what = self.conversation_id or "its conversation"
        yield Static(
            Text(
                f"This destroys {what} on {self.gateway.name} for everyone in it, and cannot be undone.\n"
                f"Type the gateway's name, {self.gateway.name}, to confirm.",
                style="bold red",
            )
        )
        yield Input(placeholder=self.gateway.name, id="confirm")

    def bulk_what(self) -> str:
        return f"explode {counted(self.holding_conversations(), 'conversation')} on {counted(len(self.gateways), 'gateway')}"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#go", Button).disabled = True
        self.query_one("#cancel", Button).focus()  # a stray enter cancels

    @on(Input.Changed, "#confirm")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#go", Button).disabled = event.value != self.gateway.name

    async def perform(self, gateway: GatewayConfig, values: dict[str, Any]) -> ActionResult:
        return await self.convos.actions.explode(gateway)
