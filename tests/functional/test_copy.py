"""`y`: the copy menu (name, URL, conversation id, invite, the table as TSV), through the clipboard service."""

from textual.widgets import Static

from convos_tui.ui import rows as view
from convos_tui.ui.screens.copy_menu import CopyMenu
from tests.ui_fixtures import cid, make_app


def status(app) -> str:
    return app.main_screen.query_one("#statusline", Static).render().plain


async def test_y_copies_what_the_letter_says(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        copied: list[str] = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        app.main_screen.table.move_to("eu-booth-1")
        await pilot.press("y")
        assert isinstance(app.screen, CopyMenu)
        await pilot.press("n")
        assert copied[-1] == "eu-booth-1" and status(app).split("   ")[1].startswith(
            "gateway name: sent to the terminal"
        )
        await pilot.press("y", "u")
        assert copied[-1] == "http://127.0.0.1:18801"
        await pilot.press("y", "c")
        assert copied[-1] == cid(1)  # in full, not the table's short id
        await pilot.press("y", "i")
        assert copied[-1].startswith("https://dev.convos.org/v2?i=")
        # An idle gateway has no conversation: the menu says so and copies nothing.
        app.main_screen.table.move_to("eu-pool-1")
        await pilot.press("y", "c")
        assert isinstance(app.screen, CopyMenu) and len(copied) == 4
        await pilot.press("escape")
        assert not isinstance(app.screen, CopyMenu) and len(copied) == 4


async def test_the_table_as_tsv_is_what_is_shown(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        copied: list[str] = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await pilot.press("slash", *"tag:booth", "enter", "y", "t")
        lines = copied[-1].splitlines()
        labels = {c.key: c.label for c in view.COLUMNS}
        assert lines[0] == "\t".join(labels[c] for c in app.main_screen.table.columns if c != "mark")
        assert lines[0].startswith("STATE\tNAME\t") and lines[0].endswith("\tLATENCY\tSINCE\tTAGS")
        assert lines[1].split("\t")[:2] == ["flapping", "eu-booth-2"]
        assert lines[2].split("\t")[:2] == ["live", "eu-booth-1"] and cid(1) in lines[2].split("\t")
        assert len(lines) == 3 and "table as TSV: sent" in status(app)


async def test_question_mark_in_the_copy_menu_names_its_own_keys():
    from convos_tui.ui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.main_screen.table.move_to("eu-booth-1")
        await pilot.press("y", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one(Static).render().plain
        assert "copy-invite" in text and "copy-table" in text and "The copy menu" in text
        assert "Filter (/)" not in text  # not the fleet table's notes
        await pilot.press("escape")
        assert isinstance(app.screen, CopyMenu)
