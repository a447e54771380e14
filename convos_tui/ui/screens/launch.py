"""The panels of the instances of `[[launchers]]`: launch (launcher, count, create or join, name,
instructions) with its progress per instance and per phase, and the typed confirmation of terminate and
recycle.

They only gather what to do and show what happened: the work is the instance service's (through
ui/instances.py), which passes every call through the action service (read-only refusal, the audit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static, TextArea

from convos_tui.fleet.actions import UNKNOWN, ActionResult, tally
from convos_tui.fleet.launchers import LauncherConfig
from convos_tui.instances.golden import INSTRUCTIONS_FILE, INSTRUCTIONS_LIMIT
from convos_tui.instances.records import PHASES
from convos_tui.instances.service import Provision
from convos_tui.ui.keys import bindings
from convos_tui.ui.results import counted, outcome_style, result_cells, said, useful_hint
from convos_tui.ui.screens.action_panel import panel_frame
from convos_tui.ui.widgets.fields import FieldInput, FieldTextArea

if TYPE_CHECKING:
    from convos_tui.ui.context import Context
    from convos_tui.ui.screens.main import MainScreen

THEN = [("nothing: leave them ready (idle)", "ready"), ("create a conversation", "create"), ("join an invite", "join")]
PROGRESS_COLUMNS = ("instance", *PHASES, "outcome")


def golden_instructions(launcher: LauncherConfig) -> str:
    """The golden's INSTRUCTIONS.md as it stands ('' if it has none or it cannot be read)."""
    try:
        return (launcher.golden / INSTRUCTIONS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def phase_cell(seconds: float | None, error: str | None) -> Text:
    if seconds is None:
        return Text("…", style="yellow")
    return Text(f"{seconds:.2f} s", style="bold red" if error else "green")


class InstancePanel(ModalScreen["list[ActionResult] | None"]):
    """What launch, terminate and recycle share: a title, a form, the progress table, a result line, Cancel
    and the action's button (Close once the run is over)."""

    BINDINGS = bindings("panel", only=("panel-cancel", "panel-submit"))  # console_names.KEYS
    TITLE = ""
    BUTTON = "Go"
    BUTTON_VARIANT = "primary"

    def __init__(self, context: Context) -> None:
        super().__init__(classes="action-panel instance-panel")
        self.context = context
        self.results: list[ActionResult] | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        progress: DataTable[str] = DataTable(id="instance-progress", cursor_type="row", zebra_stripes=True)
        yield from panel_frame(
            self.TITLE, self.form(), [progress, Static(id="panel-result")], self.BUTTON, self.BUTTON_VARIANT
        )

    def form(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        table = self.query_one("#instance-progress", DataTable)
        for column in PROGRESS_COLUMNS:
            table.add_column(column, key=column)
        table.display = False

    def say(self, text: str | Text, style: str = "") -> None:
        self.query_one("#panel-result", Static).update(text if isinstance(text, Text) else Text(text, style=style))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.busy:  # a launch under way finishes (or cleans up) by itself: it is not cut short here
            self.say("still working: the instances under way finish or clean up, then Close works", "bold yellow")
            return
        self.dismiss(self.results)

    def action_submit(self) -> None:
        self._go()

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        if self.results is not None:
            self.dismiss(self.results)
        elif not self.busy:
            self.start()

    def start(self) -> None:
        raise NotImplementedError

    # -- progress per instance and per phase -------------------------------------------------------
    def show_progress(self) -> None:
        table = self.query_one("#instance-progress", DataTable)
        table.display = True
        self.query_one(".panel-form").display = False

    def on_phase(self, instance: str, phase: str, seconds: float | None, error: str | None) -> None:
        """The instance service's progress: a row per instance, a cell per phase (… while it runs)."""
        table = self.query_one("#instance-progress", DataTable)
        if instance not in table.rows:
            table.add_row(Text(instance), *(Text("") for _ in PHASES), Text("…", style="yellow"), key=instance)
        table.update_cell(instance, phase, phase_cell(seconds, error))
        if error:
            table.update_cell(instance, "outcome", Text("failed", style="bold red"))

    def finished(self, results: list[ActionResult]) -> None:
        table = self.query_one("#instance-progress", DataTable)
        for result in results:
            outcome = result_cells(result)[1]
            if result.gateway in table.rows:
                table.update_cell(result.gateway, "outcome", outcome)
            else:
                table.add_row(Text(result.gateway), *(Text("") for _ in PHASES), outcome, key=result.gateway)
        self.results = results
        text = Text(f"{results[0].action}: " if results else "", style="bold")
        text.append(tally(results))
        for result in results:
            if not result.ok:
                text.append(f"\n{result.gateway}: ", style=f"bold {outcome_style(result.outcome)}")
                text.append(said(result))
                if hint := useful_hint(result):
                    text.append(f"\n  {hint}", style="dim")
                for line in (result.data.get("log_tail") or "").splitlines()[-4:]:
                    text.append(f"\n  | {line}", style="dim")
        self.say(text)
        go = self.query_one("#go", Button)
        go.label, go.disabled = "Close", False
        go.focus()


class LaunchPanel(InstancePanel):
    TITLE = "Launch instances"
    BUTTON = "Launch"
    AUTO_FOCUS = "#launch-count"

    def form(self) -> ComposeResult:
        launchers = self.context.instances.launchers
        first = launchers[0] if launchers else None
        with Horizontal(classes="launch-row"):
            with Vertical(classes="launch-field"):
                yield Label("launcher")
                yield Select(
                    [(f"{one.name} ({one.type}, up to {one.max_instances})", one.name) for one in launchers],
                    value=first.name if first else Select.BLANK,
                    allow_blank=first is None,
                    id="launch-launcher",
                )
            with Vertical(classes="launch-field -count"):
                yield Label("how many")
                yield FieldInput(value="1", id="launch-count", restrict=r"[0-9]*", max_length=4)
        with Horizontal(classes="launch-row"):
            with Vertical(classes="launch-field"):
                yield Label("then")
                yield Select(THEN, value="create", allow_blank=False, id="launch-then")
            with Vertical(classes="launch-field"):
                yield Label("conversation name (create)")
                yield FieldInput(id="launch-name", placeholder="e.g. Booth")
        yield Label("invite to join (join)")
        yield FieldInput(id="launch-invite", placeholder="https://…convos.org/v2?i=…")
        yield Label("instructions: these instances' INSTRUCTIONS.md (as shown: the golden's)")
        self._golden_shown = golden_instructions(first) if first else ""
        yield FieldTextArea(self._golden_shown, id="launch-instructions")

    @on(Select.Changed, "#launch-launcher")
    def _launcher_chosen(self, event: Select.Changed) -> None:
        """Another launcher, another golden: its instructions are shown, unless the ones shown were edited."""
        launcher, box = self._launcher(), self.query_one("#launch-instructions", TextArea)
        if launcher is not None and box.text == self._golden_shown:
            box.text = self._golden_shown = golden_instructions(launcher)

    def _launcher(self) -> LauncherConfig | None:
        chosen = self.query_one("#launch-launcher", Select).value
        return next((one for one in self.context.instances.launchers if one.name == chosen), None)

    def request(self) -> tuple[str, int, Provision] | str:
        """What the form asks for, or what is wrong with it (in words, the form left as it is)."""
        launcher = self._launcher()
        if launcher is None:
            return "no launcher: add a [[launchers]] entry to the config (a name, a type, a golden)"
        typed = self.query_one("#launch-count", Input).value.strip()
        if not typed.isdigit() or not 1 <= int(typed) <= launcher.max_instances:
            return f"how many: a whole number from 1 to {launcher.max_instances} (max_instances of {launcher.name})"
        then = self.query_one("#launch-then", Select).value
        name = self.query_one("#launch-name", Input).value.strip() or None
        invite = self.query_one("#launch-invite", Input).value.strip()
        if then == "join" and not invite:
            return "join: paste the invite to join (or choose create, or nothing)"
        text = self.query_one("#launch-instructions", TextArea).text
        if len(text.encode("utf-8")) > INSTRUCTIONS_LIMIT:
            return f"instructions: over the {INSTRUCTIONS_LIMIT // 1024} KiB an INSTRUCTIONS.md may hold"
        instructions = None if text == golden_instructions(launcher) else text
        provision = Provision(
            create=then == "create",
            name=name if then == "create" else None,
            join=invite if then == "join" else None,
            instructions=instructions,
        )
        return launcher.name, int(typed), provision

    def start(self) -> None:
        asked = self.request()
        if isinstance(asked, str):
            self.say(asked, "bold red")
            return
        launcher, count, provision = asked
        self.busy = True
        self.query_one("#go", Button).disabled = True
        self.show_progress()
        self.say(f"launching {counted(count, 'instance')} on {launcher}…", "dim")
        self.run_launch(launcher, count, provision)

    @work(exit_on_error=False, group="instances")
    async def run_launch(self, launcher: str, count: int, provision: Provision) -> None:
        try:
            results = await self.context.instances.launch(launcher, count, provision, on_phase=self.on_phase)
        except Exception as exc:
            results = [ActionResult(launcher, "launch", UNKNOWN, f"the launch stopped: {exc}")]
        finally:
            self.busy = False
        self.finished(results)


class ConfirmInstancesPanel(InstancePanel):
    """Terminate or recycle: names the instances and wants the word typed; Cancel is focused first, and enter
    in the word's box confirms once the word matches."""

    BUTTON_VARIANT = "error"

    def __init__(self, names: Sequence[str], context: Context, *, recycle: bool = False) -> None:
        super().__init__(context)
        self.names = list(names)
        self.recycle = recycle
        self.BUTTON = "Recycle" if recycle else "Terminate"
        self.TITLE = f"{self.BUTTON} {counted(len(self.names), 'instance')}"  # type: ignore[misc]  # a panel's own heading; Textual declares the name ClassVar

    @property
    def word(self) -> str:
        return self.BUTTON.upper()

    def form(self) -> ComposeResult:
        launched = [n for n in self.names if self.context.instances.record(n) is not None]
        others = [n for n in self.names if n not in launched]
        text = Text()
        what = (
            "stops its process (SIGTERM, SIGKILL after the grace), removes its directory: its identity and "
            "conversation end with it"
        )
        if self.recycle:
            what += "; then a fresh instance is launched from the same golden"
        text.append(f"Each instance {what}.\n", style="bold")
        shown = launched[:8]
        text.append(", ".join(shown) + (f" and {len(launched) - 8} more" if len(launched) > 8 else ""))
        if others:
            text.append(
                f"\nNot launched by this console, refused: {', '.join(others[:4])}"
                + (f" and {len(others) - 4} more" if len(others) > 4 else ""),
                style="yellow",
            )
        text.append(f"\nType {self.word} below, then enter.", style="bold yellow")
        yield Static(text, id="instances-named")
        yield FieldInput(placeholder=f"type {self.word} to confirm", id="instances-confirm")

    def on_mount(self) -> None:  # (InstancePanel.on_mount runs too: Textual calls each class's handler)
        self.query_one("#go", Button).disabled = True
        self.query_one("#cancel", Button).focus()  # a stray enter cancels

    @on(Input.Changed, "#instances-confirm")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#go", Button).disabled = event.value.strip() != self.word or self.results is not None

    @on(Input.Submitted, "#instances-confirm")
    def _entered(self) -> None:
        if not self.query_one("#go", Button).disabled:
            self._go()
        else:
            self.say(f"type {self.word} to confirm, then enter", "bold yellow")

    def action_submit(self) -> None:
        self._entered()

    def start(self) -> None:
        self.busy = True
        self.query_one("#go", Button).disabled = True
        self.show_progress()
        self.say(f"{self.BUTTON.lower()}: {counted(len(self.names), 'instance')}…", "dim")
        self.run_confirmed()

    @work(exit_on_error=False, group="instances")
    async def run_confirmed(self) -> None:
        instances = self.context.instances
        results: list[ActionResult] = []
        try:
            if self.recycle:
                for name in self.names:
                    results += await instances.recycle(name, on_phase=self.on_phase)
            else:
                results = await instances.terminate(self.names)
        except Exception as exc:
            results.append(ActionResult(", ".join(self.names), self.BUTTON.lower(), UNKNOWN, f"stopped: {exc}"))
        finally:
            self.busy = False
        self.finished(results)


# -- the keys of the main screen ------------------------------------------------------------------
NO_LAUNCHERS = "no [[launchers]] in the config: add one (a name, a type, a golden) to launch instances"


async def instance_key(main: MainScreen, action: str) -> None:
    """`I` opens the launch panel; `T` and `Y` the confirmation of terminate or recycle, on the marked instances
    (or the one under the cursor). In read-only mode the action service refuses them (and audits it)."""
    instances = main.context.instances
    if action == "launch":
        if not instances.launchers:
            main.say(NO_LAUNCHERS, "bold yellow")
        elif main.context.read_only:
            _refused(main, instances.launch(instances.launchers[0].name, 1, Provision()))
        else:
            await main._open(LaunchPanel(main.context))
        return
    names = main.targets()
    if not names:
        return
    if not main.context.read_only:
        await main._open(ConfirmInstancesPanel(names, main.context, recycle=action == "recycle"))
    elif action == "terminate":
        _refused(main, instances.terminate(names))
    else:
        _refused(main, _each(instances.recycle(name) for name in names))


async def _each(calls: Iterable[Awaitable[list[ActionResult]]]) -> list[ActionResult]:
    results: list[ActionResult] = []
    for call in calls:
        results += await call
    return results


def _refused(main: MainScreen, call: Awaitable[list[ActionResult]]) -> None:
    """Read-only: the call goes to the action service, which refuses it and writes the refusal in the audit."""

    async def run() -> None:
        main._acted(await call)

    main.run_worker(run(), group="instances", exit_on_error=False)


__all__ = ["ConfirmInstancesPanel", "LaunchPanel", "instance_key"]
