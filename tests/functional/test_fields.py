"""Keys typed in a burst reach a text field in the order they were typed (ui/widgets/fields.py): Textual
applied a field's bound keys (backspace, the arrows, enter) after the printable keys behind them."""

import ast
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult

from convos_tui.ui.widgets.fields import FieldInput, FieldTextArea
from tests.ui_fixtures import make_app


def burst(app: App, keys: list[str]) -> None:
    """Every key posted at once, as the terminal driver posts a burst it read in one go."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_the_filter_box_takes_a_fast_correction_in_order():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        burst(app, [*"abcdef", "backspace", "backspace", "backspace", *"ams"])
        await pilot.pause()
        await pilot.pause()
        assert app.main_screen.filter_box.value == "abcams"  # Textual alone gave "abcdef"


class Fields(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        yield FieldInput(id="line")
        yield FieldTextArea(id="text")

    def on_input_submitted(self, event: FieldInput.Submitted) -> None:
        self.submitted.append(event.value)


async def test_a_message_and_a_line_take_their_keys_in_order_enter_included():
    app = Fields()
    async with app.run_test() as pilot:
        app.query_one("#text", FieldTextArea).focus()
        await pilot.pause()
        burst(app, [*"helo", "backspace", *"lo", "left", "left", *"l!"])
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#text", FieldTextArea).text == "hell!lo"
        app.query_one("#line", FieldInput).focus()
        await pilot.pause()
        burst(app, [*"ab", "enter", *"cd", "home", "x", "enter"])
        await pilot.pause()
        await pilot.pause()
        assert app.submitted == ["ab", "xabcd"]


def test_every_text_field_of_the_console_is_one_that_keeps_the_order():
    """A plain Input or TextArea added later would bring the reordering back."""
    ui = Path(__file__).resolve().parents[2] / "convos_tui" / "ui"
    plain = [
        f"{path.relative_to(ui)}:{node.lineno}"
        for path in ui.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Input", "TextArea")
    ]
    assert plain == []
