"""The pools in the console, on the fixed pools of tests/pools_ui.py (no process runs: a claim from a pool with
prepare = "create" makes no gateway call): `w` the view, `C` and `c` claims and their QR code, presentation's
`n`, the replenish and drain panels' checks, and read-only mode refusing every key through the action service.
Launches, replenish and drain on real instances are in tests/functional/test_pools_demo.py."""

import time

from textual.widgets import Button, DataTable, Input, OptionList, Select, Static

from convos_tui.pools.members import CLAIMED, READY
from convos_tui.ui.screens.pool_panels import DrainPanel, ReplenishPanel
from convos_tui.ui.screens.pools import ChoosePool, PoolsScreen
from convos_tui.ui.screens.presentation import PresentationScreen
from convos_tui.ui.screens.qr import QRPanel
from tests.pools_ui import BREAKER_REASON, INVITE, POOLS, pools_app

BOOTH = POOLS[:1]  # the only pool: C claims without asking


async def until(pilot, check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await pilot.pause(0.02)
    assert check()


def cell(screen: PoolsScreen, pool: str, column: str) -> str:
    return screen.table.get_cell(pool, column).plain


def status(screen) -> str:
    return screen.query_one("#pools-status", Static).render().plain


def claims(app, outcome):
    return [
        row for row in app.fleet.store.audit_log(limit=50) if row["action"] == "claim" and row["outcome"] == outcome
    ]


async def test_w_shows_each_pool_against_its_target_with_its_breaker_and_latencies(tmp_path):
    app = pools_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
        view = app.screen
        assert [cell(view, "booth", c) for c in ("ready", "launching", "claimed", "crashed", "breaker")] == [
            "2/3",
            "1",
            "2",
            "0",
            "closed",
        ]
        # Claim p50/p95 of 3.1 and 4.2 ms beside the cold start p50/p95 of 3.9, 4.1, 4.6, 5.2 s.
        assert cell(view, "booth", "claim p50/p95") == "3.1 / 4.2 ms"
        assert cell(view, "booth", "cold start p50/p95") == "4.6 / 5.2 s"
        assert [cell(view, "lab", c) for c in ("ready", "crashed", "breaker", "claim p50/p95")] == [
            "0/2",
            "1",
            "open",
            "—",
        ]
        detail = view.query_one("#pool-detail", Static)
        assert "a claim is served at once" in detail.render().plain
        await pilot.press("down")  # lab: why its breaker is open, and until when
        await until(pilot, lambda: BREAKER_REASON in detail.render().plain)
        assert "no launch until" in detail.render().plain
        events = view.query_one("#pool-events", DataTable)
        assert [events.get_row_at(0)[i].plain for i in (1, 2)] == ["sim-c00001", "crashed"]

        # Live: a change another process makes to the pool shows within the view's refresh.
        app.context.pools.service.members.set_state("sim-b00004", CLAIMED, "claimed elsewhere", seconds=0.002)
        await until(pilot, lambda: cell(view, "booth", "ready") == "1/3", seconds=5)
        assert cell(view, "booth", "claimed") == "3"
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_C_claims_from_the_only_pool_and_its_invite_opens_at_once(tmp_path):
    app = pools_app(tmp_path, pools=BOOTH)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, QRPanel))
        assert app.screen.invite.url == INVITE
        assert app.screen.invite.gateway == "sim-b00003"  # the oldest ready one
        members = app.context.pools.service.members
        assert members.get("sim-b00003").state == CLAIMED
        assert [row["gateway"] for row in claims(app, "ok")] == ["pool:booth"]
        await pilot.press("escape")
        assert "claimed sim-b00003" in app.main_screen._message.plain


async def test_C_with_several_pools_asks_which_and_an_empty_one_says_why(tmp_path):
    app = pools_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ChoosePool))
        options = app.screen.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["booth", "lab"]
        await pilot.press("down", "enter")  # lab: empty, its breaker open
        await until(pilot, lambda: "no ready instance" in app.main_screen._message.plain)
        assert BREAKER_REASON in app.main_screen._message.plain
        assert app.screen is app.main_screen
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ChoosePool))
        await pilot.press("escape")  # nothing claimed
        assert app.screen is app.main_screen
        assert claims(app, "ok") == []


async def test_c_in_the_view_claims_the_pool_under_the_cursor_and_the_view_follows(tmp_path):
    app = pools_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
        view = app.screen
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, QRPanel))
        await pilot.press("escape")
        assert app.screen is view
        assert cell(view, "booth", "ready") == "1/3" and cell(view, "booth", "claimed") == "3"
        assert "claimed sim-b00003" in status(view)


async def test_presentation_n_hands_out_an_invite_from_the_pool(tmp_path):
    app = pools_app(tmp_path, pools=BOOTH)
    async with app.run_test(size=(130, 50)) as pilot:
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, PresentationScreen))
        present = app.screen
        assert "n next invite (pool booth)" in present.query_one("#present-keys", Static).render().plain
        await pilot.press("n")
        await until(pilot, lambda: present.invite is not None)
        assert present.invite.url == INVITE and present.invite.gateway == "sim-b00003"
        assert "claimed sim-b00003 from pool booth" in present.query_one("#present-message", Static).render().plain
        await pilot.press("n")
        await until(pilot, lambda: app.context.pools.service.members.get("sim-b00004").state == CLAIMED)
        await pilot.press("n")  # the pool is empty now, and nothing launches: it says so
        await until(pilot, lambda: "no ready instance" in present.query_one("#present-message", Static).render().plain)


async def test_replenish_asks_a_count_within_max_total(tmp_path):
    app = pools_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w", "plus")
        await until(pilot, lambda: isinstance(app.screen, ReplenishPanel))
        panel = app.screen
        assert panel.query_one("#replenish-count", Input).value == "1"  # the shortfall: 3 - 2 ready - 1 launching
        await pilot.press("backspace", "9", "ctrl+s")
        result = panel.query_one("#panel-result", Static).render().plain
        assert "a whole number from 1 to 6" in result
        assert panel.results is None  # nothing launched
        await pilot.press("escape")
        assert isinstance(app.screen, PoolsScreen)


async def test_drain_of_the_claimed_ones_wants_the_word_typed(tmp_path):
    app = pools_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w", "D")
        await until(pilot, lambda: isinstance(app.screen, DrainPanel))
        panel = app.screen
        go = panel.query_one("#go", Button)
        assert app.focused is panel.query_one("#cancel")  # a stray enter cancels
        assert not go.disabled  # the ready ones only: the button is enough
        panel.query_one("#drain-which", Select).value = "all"
        await pilot.pause()
        assert (
            go.disabled and "2 claimed instances will be terminated" in panel.query_one("#drain-warning").render().plain
        )
        panel.query_one("#drain-confirm", Input).focus()
        await pilot.press(*"DRAI")
        assert go.disabled
        await pilot.press("N")
        assert not go.disabled
        await pilot.press("escape")
        members = app.context.pools.service.members
        assert members.counts("booth")[READY] == 2 and members.counts("booth")[CLAIMED] == 2  # nothing drained


async def test_read_only_greys_the_pool_keys_and_the_action_service_refuses_and_audits_them(tmp_path):
    app = pools_app(tmp_path, pools=BOOTH, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("C")
        await until(pilot, lambda: "read-only" in app.main_screen._message.plain)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
        view = app.screen
        for action in ("claim", "replenish", "drain"):
            assert view.check_action(action, ()) is None  # greyed in the footer
        for key in ("c", "plus", "D"):
            await pilot.press(key)
            await until(pilot, lambda: "pool:booth: refused: read-only mode" in status(view))
            assert app.screen is view  # no panel opened
        refused = [
            (row["action"], row["gateway"])
            for row in app.fleet.store.audit_log(limit=50)
            if row["outcome"] == "refused"
        ]
        assert sorted(refused) == [
            ("claim", "pool:booth"),
            ("claim", "pool:booth"),
            ("drain", "pool:booth"),
            ("replenish", "pool:booth"),
        ]
        members = app.context.pools.service.members
        assert members.counts("booth")[READY] == 2 and members.counts("booth")[CLAIMED] == 2


async def test_the_palette_opens_the_pools_view_and_claims(tmp_path):
    app = pools_app(tmp_path, pools=BOOTH)
    async with app.run_test(size=(120, 40)) as pilot:
        commands = {command.title: command for command in app.get_system_commands(app.main_screen)}
        app.call_later(commands["Pools: warm instances by state, breaker, claim and cold start"].callback)
        await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
        await pilot.press("escape")
        app.call_later(commands["Claim an instance from a pool"].callback)
        await until(pilot, lambda: isinstance(app.screen, QRPanel))
        assert app.screen.invite.url == INVITE


async def test_without_pools_the_keys_say_how_to_add_one():
    from convos_tui.ui.pools import NO_POOLS
    from tests.ui_fixtures import make_app

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("C")
        assert app.main_screen._message.plain == NO_POOLS
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
        assert status(app.screen) == NO_POOLS and app.screen.table.row_count == 0
        for key in ("c", "plus", "D"):  # nothing to act on: each says so again, and nothing opens or breaks
            app.screen.say("")
            await pilot.press(key)
            assert status(app.screen) == NO_POOLS and isinstance(app.screen, PoolsScreen)


async def test_read_only_greys_exactly_the_keys_that_change_something_and_they_change_nothing(tmp_path):
    from textual.widgets._footer import FooterKey

    from convos_tui.fleet.console_names import KEYS
    from tests.instances_ui import INSTANCE

    app = pools_app(tmp_path, pools=BOOTH, read_only=True)
    async with app.run_test(size=(160, 40)) as pilot:
        main = app.main_screen
        main.jump_to(INSTANCE)
        for action in ("launch", "terminate", "recycle"):
            assert main.check_action("instances", (action,)) is None
        assert main.check_action("pools", ("claim",)) is None
        assert main.check_action("pools", ("view",)) and main.check_action("ack_alert", ())  # they change nothing
        footer = {key.action: key.has_class("-disabled") for key in main.query(FooterKey)}
        assert footer["act('create')"] and footer["act('explode')"] and not footer["events"]
        changing = ("create", "join", "send", "rename", "lock", "unlock", "explode", "notify", "update-metadata")
        changing += ("re-attest", "reset", "provision", "launch", "terminate", "recycle", "pool-claim")
        palette = {key.palette: key.id for key in KEYS if key.palette}
        greyed = {
            palette[title.removesuffix(" — disabled: read-only mode")]
            for title in (command.title for command in app.get_system_commands(main))
            if title.endswith(" — disabled: read-only mode")
        }
        assert greyed == set(changing)  # exactly those: not the pools view, polls, filters, copy, …
        audited = len(app.fleet.store.audit_log(limit=50))
        for index, key in enumerate(("I", "T", "Y", "C"), start=audited + 1):
            await pilot.press(key)
            await until(pilot, lambda index=index: len(app.fleet.store.audit_log(limit=50)) >= index)
            assert app.screen is main and "refused" in main._message.plain  # no panel, and it says why
        pressed = app.fleet.store.audit_log(limit=4)
        assert all(row["outcome"] == "refused" for row in pressed)
        # recycle is refused at its first step, the terminate
        expected = [("claim", "pool:booth"), ("terminate", INSTANCE), ("terminate", INSTANCE), ("launch", "sim")]
        assert [(row["action"], row["gateway"]) for row in pressed] == expected
        assert app.context.instances.service.records.get(INSTANCE).state == "running"
        members = app.context.pools.service.members
        assert members.counts("booth")[READY] == 2 and members.counts("booth")[CLAIMED] == 2
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PoolsScreen))
        footer = {key.action: key.has_class("-disabled") for key in app.screen.query(FooterKey)}
        assert footer["claim"] and footer["replenish"] and footer["drain"] and not footer["app.pop_screen"]
