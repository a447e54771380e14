"""The bulk flow of an action panel, on the marked gateways: what will happen and the typed word, then the run
behind a progress bar, then every gateway's result, to read in full, copy or save.

An action panel composes this widget below its form when it acts on several gateways (and `ResultLine` when it
acts on one): the panel gathers the form, the widget runs it. Both answer the panel the same way
(`missing`, `run`, `stop`, `show_detail`, `outcome`, `done`), so the panel has one flow to follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input, ProgressBar, Static

from convos_tui.fleet.action_result import OUTCOMES
from convos_tui.fleet.actions import REFUSED, UNKNOWN, ActionResult, Actions
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.ui.results import bulk_outcome, result_cells, results_text, save_results
from convos_tui.ui.widgets.fields import FieldInput

Perform = Callable[[GatewayConfig], Awaitable[ActionResult]]
RESULT_MIN_WIDTH = 20  # on the narrowest panel, still enough of an answer to tell rows apart


class BulkRun(Vertical):
    """What a run on many gateways will do, the word that starts it, its progress and its results."""

    DEFAULT_CSS = """
    BulkRun {
        height: auto;
    }
    """

    class Confirm(Message):
        """Enter in the confirmation box with the word typed: start the run."""

    def __init__(
        self, action: str, gateways: Sequence[GatewayConfig], what: Callable[[], str], *, clock: Callable[[], float]
    ) -> None:
        super().__init__(id="bulk")
        self.action = action
        self.word = action.upper()
        self.gateways = list(gateways)
        self.what = what  # one sentence on what will happen, counted from the fleet as it is now
        self.clock = clock
        self.results: list[ActionResult] | None = None  # once the run is over
        self.stopping = False

    def compose(self) -> ComposeResult:
        yield Static(self.summary(), id="bulk-summary")
        # The progress bar and the results table are mounted when the run starts, in the form's place: a
        # panel that opens without them is drawn in half the time.
        yield Static(id="panel-result")
        yield FieldInput(placeholder=f"type {self.word} to confirm", id="bulk-confirm")

    # -- what will happen, and the typed word -------------------------------------------------------
    def summary(self) -> Text:
        """One sentence on what will happen, the gateways it names, and what to type."""
        names = [g.name for g in self.gateways]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        text = Text()
        text.append(self.what(), style="bold")
        text.append(f"\n{shown}\n")
        text.append(f"Type {self.word} below to confirm.", style="bold yellow")
        return text

    def retarget(self, gateways: Sequence[GatewayConfig]) -> None:
        """Another set of gateways (provision: another count)."""
        self.gateways = list(gateways)
        self.query_one("#bulk-summary", Static).update(self.summary())

    @property
    def typed(self) -> str:
        return self.query_one("#bulk-confirm", Input).value.strip()

    def missing(self) -> str | None:
        """What is still needed before the run can start (None: nothing), in words."""
        if self.results is not None:
            return "this run is over: close the panel to start another"
        typed = self.typed
        if typed == self.word:
            return None
        if not typed:
            return f"type {self.word} to confirm, then enter"
        if typed.upper() == self.word:
            return f"type {self.word} in capitals to confirm: {typed!r} is not it"
        return f"{typed!r} is not {self.word}: type {self.word} to confirm"

    def ask(self) -> None:
        """The form is filled in: what is left is the word."""
        self.query_one("#bulk-confirm", Input).focus()

    @on(Input.Submitted, "#bulk-confirm")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        missing = self.missing()
        if missing is None:
            self.post_message(self.Confirm())
        else:
            self.say(missing, "bold yellow")

    # -- the run ------------------------------------------------------------------------------------
    def say(self, text: str | Text, style: str = "") -> None:
        self.query_one("#panel-result", Static).update(text if isinstance(text, Text) else Text(text, style=style))

    async def run(self, perform: Perform, actions: Actions, *, form: Widget) -> None:
        """Every gateway, at most a few at once; each gateway gets its row, whatever goes wrong with it."""
        started = self.clock()
        form.display = False  # the results take its place
        what = self.what()  # as confirmed: the states it counts change during the run
        confirm = self.query_one("#bulk-confirm", Input)
        confirm.disabled = True
        confirm.display = False
        bar = ProgressBar(total=len(self.gateways), show_eta=False, id="bulk-progress")
        table: DataTable[Text] = DataTable(id="bulk-results", cursor_type="row", zebra_stripes=True)
        table.add_columns("gateway", "outcome", "took")
        # The result gets the width the panel leaves, each cut with an ellipsis (`d` shows a row in full): as wide
        # as its longest answer, it pushed the table sideways behind a scroll bar, every row cut mid-word.
        name_width = max(len("gateway"), *(len(g.name) for g in self.gateways))
        used = name_width + max(map(len, OUTCOMES)) + len("100.0 s") + 4 * 2 + 2  # cell padding, the scroll bar
        result_width = max(RESULT_MIN_WIDTH, self.content_size.width - used)
        table.add_column("result", width=result_width)
        await self.mount(bar, table, before="#panel-result")
        table.focus()

        def tell() -> None:
            done = f"{int(bar.progress)} of {len(self.gateways)} done, {self.clock() - started:.0f} s"
            if self.stopping:
                self.say(f"{done}; stopping: no further gateway is started, those in flight finish", "bold yellow")
            else:
                self.say(f"{done}; escape stops", "dim")

        async def one(gateway: GatewayConfig) -> ActionResult:
            if self.stopping:
                return ActionResult(gateway.name, self.action, REFUSED, "not started: the run was stopped")
            try:
                return await perform(gateway)
            except Exception as exc:
                return ActionResult(
                    gateway.name,
                    self.action,
                    UNKNOWN,
                    f"unexpected error: {type(exc).__name__}: {exc}",
                    hint="The request may have been sent: the next poll shows what the gateway did.",
                )

        def done(result: ActionResult) -> None:
            bar.advance(1)
            *cells, answer = result_cells(result)
            answer.truncate(result_width, overflow="ellipsis")
            table.add_row(*cells, answer, key=result.gateway)
            tell()

        timer = self.set_interval(1.0, tell)
        tell()
        try:
            results = await actions.bulk(self.gateways, one, on_result=done)
        finally:
            timer.stop()
        self.results = results
        self.say(bulk_outcome(results, self.clock() - started))
        self.query_one("#bulk-summary", Static).update(Text(what, style="bold"))

    def stop(self) -> bool:
        """Requests already sent cannot be called back; the ones not started yet are not sent."""
        self.stopping = True
        self.say("stopping: no further gateway is started, those in flight finish", "bold yellow")
        return True

    @property
    def done(self) -> bool:
        return self.results is not None

    @property
    def outcome(self) -> list[ActionResult] | None:
        return self.results

    def after(self) -> str | None:
        """Where the focus goes once the run is over: the Close button."""
        return "#go"

    # -- the results --------------------------------------------------------------------------------
    def show_detail(self) -> None:
        if self.results is None:
            return
        table = self.query_one("#bulk-results", DataTable)
        if not table.row_count:
            return
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        chosen = next((r for r in self.results if r.gateway == name), None)
        if chosen is not None:
            self.say(Text(f"{chosen.gateway}: {chosen.detail or chosen.summary}"[:6000]))

    def copy_results(self, copy: Callable[[str], Text]) -> None:
        if self.results is not None:
            self.say(copy(results_text(self.results)))

    def save_results(self, folder: Path) -> None:
        if self.results is None:
            return
        try:
            paths = save_results(self.results, self.action, folder, now=self.clock())
        except OSError as exc:
            self.say(f"could not save the results: {exc.strerror or exc}. They are still listed here.", "bold red")
            return
        self.say(Text("saved " + " and ".join(str(p) for p in paths), style="green"))
