"""Actions on the marked gateways: the summary and typed word, the progress, the results, stop, copy, save."""

import asyncio
import csv
import json

from textual.widgets import Button, DataTable, Input, ProgressBar, Static

from convos_tui.sim import GatewaySpec, Mode
from convos_tui.ui.screens import actions as panels
from convos_tui.ui.screens.gallery import InviteGallery
from convos_tui.ui.screens.qr import QRPanel
from convos_tui.ui.widgets.qr import QRCodeView
from tests.functional.keys import burst
from tests.functional.test_action_panels import console, move_to, result_text


async def mark(app, pilot, *names):
    for name in names:
        await move_to(app, pilot, name)
        await pilot.press("space")


async def run_over(pilot, panel, timeout=10.0):
    for _ in range(int(timeout / 0.02)):
        await asyncio.sleep(0.02)
        if panel.flow.outcome is not None and not panel.busy:
            await pilot.pause()
            return panel.flow.outcome
    raise AssertionError("the bulk run did not finish")


def rows(panel):
    table = panel.query_one("#bulk-results", DataTable)
    return {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}


async def test_explode_on_marked_gateways_needs_the_word_and_lists_every_result():
    cid = "cd" * 16
    specs = [
        GatewaySpec("a", Mode.BOUND),
        GatewaySpec("b", Mode.BOUND),
        GatewaySpec("c", Mode.OFFLINE, conversation_id=cid),
        GatewaySpec("d", Mode.BOUND),
    ]
    async with console(*specs) as (sim, app, pilot):
        await mark(app, pilot, "a", "b", "c")
        await pilot.press("X")
        panel = app.screen
        assert isinstance(panel, panels.ExplodePanel) and panel.bulk
        summary = panel.query_one("#bulk-summary", Static).render().plain
        assert "explode 3 conversations on 3 gateways" in summary
        assert sorted(summary.splitlines()[1].split(", ")) == ["a", "b", "c"]
        assert "Type EXPLODE below to confirm" in summary
        confirm = panel.query_one("#bulk-confirm", Input)
        assert panel.focused is confirm  # what is typed lands in the box (before: Cancel had the focus)
        go = panel.query_one("#go", Button)
        await burst(pilot, *"explode", "enter")
        assert go.disabled and panel.flow.outcome is None  # the word, in capitals: nothing was sent
        assert "type EXPLODE in capitals to confirm: 'explode' is not it" in result_text(panel)
        assert panel.focused is confirm
        confirm.value = "EXPLODE"
        await pilot.pause()
        assert not go.disabled
        await pilot.press("enter")  # enter in the box confirms
        results = await run_over(pilot, panel)
        assert sorted((r.gateway, r.outcome) for r in results) == [("a", "ok"), ("b", "ok"), ("c", "failed")]
        assert sim.gateway("a").bound is None and sim.gateway("b").bound is None
        assert sim.gateway("d").bound is not None  # not marked, not touched
        listed = rows(panel)
        assert listed["a"][1] == "ok" and listed["c"][1] == "failed"
        assert panel.query_one("#bulk-progress", ProgressBar).progress == 3
        assert "2 ok, 1 failed" in result_text(panel)
        audit = app.fleet.store.audit_log()
        assert sorted((row["gateway"], row["outcome"]) for row in audit if row["action"] == "explode") == [
            ("a", "ok"),
            ("b", "ok"),
            ("c", "failed"),
        ]
        await pilot.press("ctrl+s")  # Close
        assert app.screen is app.main_screen
        assert "explode on 3 gateways: 2 ok, 1 failed" in app.main_screen._message.plain


async def test_stopping_a_run_sends_nothing_more_and_says_so():
    specs = [GatewaySpec(f"g{i}") for i in range(10)]
    async with console(*specs, speed=3) as (sim, app, pilot):
        await pilot.press("asterisk", "c")
        panel = app.screen
        assert isinstance(panel, panels.CreatePanel) and len(panel.gateways) == 10
        panel.query_one("#bulk-confirm", Input).value = "CREATE"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await asyncio.sleep(0.2)
        await pilot.press("escape")  # during the run: stop starting gateways, do not close
        assert app.screen is panel and "stopping" in result_text(panel)
        results = await run_over(pilot, panel, timeout=30)
        outcomes = [r.outcome for r in results]
        assert outcomes.count("ok") == 8  # the eight in flight (bounded concurrency) finished
        assert [r.summary for r in results if r.outcome != "ok"] == ["not started: the run was stopped"] * 2
        posts = [g.name for g in sim.gateways if any(m == "POST" for m, _, _ in g.request_log)]
        assert len(posts) == 8


async def test_results_can_be_copied_and_saved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with console(GatewaySpec("a"), GatewaySpec("b"), GatewaySpec("c", Mode.BOUND)) as (sim, app, pilot):
        copied = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await pilot.press("asterisk", "c")
        panel = app.screen
        assert "1 of them are not idle: those will refuse" in panel.query_one("#bulk-summary", Static).render().plain
        panel.query_one("#bulk-confirm", Input).value = "CREATE"
        await pilot.pause()
        await pilot.press("ctrl+s")
        results = await run_over(pilot, panel)
        panel.query_one("#bulk-results", DataTable).focus()
        await pilot.press("y")
        assert copied and copied[0].splitlines()[0].startswith("gateway\taction\toutcome")
        assert any(
            line.startswith("a\tcreate\tok\t") and "https://dev.convos.org/v2?i=" in line
            for line in copied[0].splitlines()
        )
        await pilot.press("w")
        (saved_csv,) = tmp_path.glob("convos-create-*.csv")
        (saved_json,) = tmp_path.glob("convos-create-*.json")
        with saved_csv.open() as f:
            table = {row["gateway"]: row for row in csv.DictReader(f)}
        by_name = {r.gateway: r for r in results}
        assert table["c"]["outcome"] == "failed" and table["a"]["invite_url"] == by_name["a"].data["invite_url"]
        assert sorted(row["gateway"] for row in json.loads(saved_json.read_text())) == ["a", "b", "c"]
        assert "saved" in result_text(panel)
        # a failed row's full answer is one key away
        table_widget = panel.query_one("#bulk-results", DataTable)
        table_widget.move_cursor(row=[str(table_widget.get_row_at(i)[0]) for i in range(3)].index("c"))
        await pilot.press("d")
        assert result_text(panel).startswith("c: ")


async def test_provision_creates_on_the_first_idle_gateways_shown_then_the_gallery_exports_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    specs = [GatewaySpec("a"), GatewaySpec("b", Mode.BOUND), GatewaySpec("c"), GatewaySpec("d")]
    async with console(*specs) as (sim, app, pilot):
        await pilot.press("N")
        panel = app.screen
        assert isinstance(panel, panels.ProvisionPanel)
        assert [g.name for g in panel.candidates] == ["a", "c", "d"]
        panel.query_one("#count", Input).value = "9"
        panel.query_one("#bulk-confirm", Input).value = "CREATE"
        await pilot.pause()
        assert "type a number from 1 to 3" in result_text(panel)
        assert panel.query_one("#go", Button).disabled  # the word does not override a wrong count
        panel.query_one("#count", Input).value = "2"
        panel.query_one("#bulk-confirm", Input).value = "CREATE"
        await pilot.pause()
        assert (
            "create 2 conversations, one on each idle gateway"
            in panel.query_one("#bulk-summary", Static).render().plain
        )
        await pilot.press("ctrl+s")
        results = await run_over(pilot, panel)
        assert [(r.gateway, r.outcome) for r in results] == [("a", "ok"), ("c", "ok")]
        assert sim.gateway("d").bound is None
        await pilot.press("ctrl+s")
        gallery = app.screen
        assert isinstance(gallery, InviteGallery)
        assert [invite["gateway"] for invite in gallery.invites] == ["a", "c"]
        url_shown = lambda: gallery.query_one("#gallery-url", Static).render().plain  # noqa: E731 - read again after each key
        assert url_shown() == results[0].data["invite_url"]
        assert gallery.query_one(QRCodeView).display  # fits at 120x40
        await pilot.press("down")
        assert url_shown() == results[1].data["invite_url"]
        await pilot.press("x")
        (exported,) = tmp_path.glob("convos-invites-*.json")
        assert [(i["gateway"], i["invite_url"]) for i in json.loads(exported.read_text())] == [
            (r.gateway, r.data["invite_url"]) for r in results
        ]
        with next(tmp_path.glob("convos-invites-*.csv")).open() as f:
            assert [row["conversation_id"] for row in csv.DictReader(f)] == [r.data["conversation_id"] for r in results]
        await pilot.press("enter")
        assert isinstance(app.screen, QRPanel) and app.screen.invite.url == results[1].data["invite_url"]
        await pilot.press("escape", "escape")
        assert app.screen is app.main_screen


async def test_read_only_refuses_bulk_and_provision():
    async with console(GatewaySpec("a"), GatewaySpec("b"), read_only=True) as (sim, app, pilot):
        await pilot.press("asterisk")
        assert app.main_screen.check_action("provision", ()) is None
        await pilot.press("N", "X")
        assert app.screen is app.main_screen


async def test_the_summary_counts_distinct_conversations():
    # Before: "explode 3 conversations on 3 gateways" when two of them share one (a creator and its joiner).
    shared = "ab" * 16
    specs = [
        GatewaySpec("a", Mode.BOUND, conversation_id=shared),
        GatewaySpec("b", Mode.BOUND, conversation_id=shared),
        GatewaySpec("c", Mode.BOUND),
    ]
    async with console(*specs) as (sim, app, pilot):
        await pilot.press("asterisk", "X")
        assert "explode 2 conversations on 3 gateways" in app.screen.query_one("#bulk-summary", Static).render().plain
        await pilot.press("escape", "m")
        assert (
            "send this message into 2 conversations on 3 gateways"
            in app.screen.query_one("#bulk-summary", Static).render().plain
        )


def unexpected(*args, **kwargs):
    raise RuntimeError("a bug")


async def test_an_unexpected_error_on_one_gateway_is_its_row_and_the_run_finishes():
    # A bug after the requests went out (completing the audit row raises what the action service does not
    # catch): before, the worker's error ended the console while the other requests were in flight.
    async with console(GatewaySpec("a", Mode.BOUND), GatewaySpec("b", Mode.BOUND)) as (sim, app, pilot):
        await pilot.press("asterisk", "l")
        panel = app.screen
        await burst(pilot, *"LOCK")
        app.fleet.store.finish_action = unexpected
        await pilot.press("enter")
        results = await run_over(pilot, panel)
        assert app.is_running and app.screen is panel
        assert [(r.gateway, r.outcome) for r in results] == [("a", "unknown"), ("b", "unknown")]
        assert all("unexpected error: RuntimeError" in r.summary for r in results)
        assert rows(panel)["a"][1] == "unknown"
        assert sim.gateway("a").locked and sim.gateway("b").locked  # sent and done: only the audit failed


async def test_long_answers_are_cut_to_the_panel_with_an_ellipsis_not_scrolled_sideways():
    # Before: the result column was as wide as its longest answer, and at 80 columns the table scrolled sideways.
    async with console(GatewaySpec("a"), GatewaySpec("b", Mode.BOUND), size=(80, 24)) as (sim, app, pilot):
        await pilot.press("asterisk", "c")
        panel = app.screen
        panel.query_one("#bulk-confirm", Input).value = "CREATE"
        await pilot.pause()
        await pilot.press("ctrl+s")
        results = await run_over(pilot, panel)
        table = panel.query_one("#bulk-results", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width  # nothing to scroll to
        long = [r for r in results if len(r.summary) > table.columns[table.ordered_columns[3].key].width]
        assert long, [r.summary for r in results]  # a create's answer holds its invite URL: longer than the column
        for result in long:
            assert rows(panel)[result.gateway][3].endswith("…")
        table.focus()
        table.move_cursor(row=[str(table.get_row_at(i)[0]) for i in range(2)].index(long[0].gateway))
        await pilot.press("d")
        assert (long[0].detail or long[0].summary) in result_text(panel)  # the whole answer, one key away
