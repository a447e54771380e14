"""The newer routes' panels driven with Pilot against simulated gateways: t notify, E metadata, A re-attest, Z reset,
on one gateway and on the marked ones; what is typed is checked before the button works; read-only greys them."""

import json

from textual.widgets import Button, Checkbox, Input, Static, TextArea

from convos_tui.sim import GatewaySpec, Mode
from convos_tui.ui.screens import runtime_panels as panels
from tests.functional.keys import burst
from tests.functional.test_action_panels import console, finish, move_to, result_text
from tests.functional.test_bulk_actions import mark, rows, run_over

SIGNATURE = "c2lnbmF0dXJl" * 7 + "QUJDRA"
SIGNED_AT = "2026-04-11T18:27:14.000Z"
MANAGED = [
    GatewaySpec("m1", Mode.NEWER_SHAPE, conversation_id="a1" * 16),
    GatewaySpec("m2", Mode.NEWER_SHAPE, conversation_id="a2" * 16),
    GatewaySpec("classic", Mode.BOUND, core_version="2026.4.10"),
]


async def test_notify_one_gateway_from_its_key():
    async with console(*MANAGED) as (sim, app, pilot):
        await move_to(app, pilot, "m1")
        await pilot.press("t")
        panel = app.screen
        assert isinstance(panel, panels.NotifyPanel) and panel.focused is panel.query_one("#text", TextArea)
        assert panel.query_one("#go", Button).disabled  # nothing written yet
        await burst(pilot, *"New email from billing")
        assert not panel.query_one("#go", Button).disabled
        await pilot.press("ctrl+s")
        result = await finish(pilot, panel)
        assert result.ok and "members never see it" in result_text(panel)
        assert sim.gateway("m1").notifications == ["New email from billing"]


async def test_a_classic_gateway_says_unsupported_not_failed():
    async with console(*MANAGED) as (sim, app, pilot):
        await move_to(app, pilot, "classic")
        await pilot.press("t")
        panel = app.screen
        warning = panel.query_one("#panel-warning", Static).render().plain
        assert "classic status shape (xmtplabs/openclaw): it has no such route" in warning  # said before sending
        panel.query_one("#text", TextArea).text = "hello"
        await pilot.press("ctrl+s")
        result = await finish(pilot, panel)
        assert result.outcome == "unsupported"
        assert result_text(panel).startswith("not supported by this gateway's runtime: it has no /convos/notify route")
        await pilot.press("escape")
        assert "classic: notify not supported by this gateway's runtime" in app.main_screen._message.plain


async def test_metadata_is_checked_as_it_is_typed():
    async with console(*MANAGED) as (sim, app, pilot):
        await move_to(app, pilot, "m1")
        await pilot.press("E")
        panel = app.screen
        assert isinstance(panel, panels.MetadataPanel)
        area = panel.query_one("#metadata", TextArea)
        area.text = '{"team": 3}'
        await pilot.pause()
        assert panel.query_one("#go", Button).disabled
        await pilot.press("ctrl+s")
        assert "metadata value of 'team' is int: every value must be a string" in result_text(panel)
        assert sim.gateway("m1").metadata_updates == []
        area.text = '{"team": "ops"}'
        await pilot.pause()
        await pilot.press("ctrl+s")
        result = await finish(pilot, panel)
        assert result.ok and sim.gateway("m1").metadata_updates == [{"team": "ops"}]


async def test_re_attest_one_gateway_with_its_three_values():
    async with console(*MANAGED) as (sim, app, pilot):
        await move_to(app, pilot, "m2")
        await pilot.press("A")
        panel = app.screen
        assert isinstance(panel, panels.ReattestPanel) and not panel.bulk
        panel.query_one("#attestation", Input).value = SIGNATURE
        panel.query_one("#attestation-ts", Input).value = "yesterday"
        panel.query_one("#attestation-kid", Input).value = "k1"
        await pilot.press("ctrl+s")
        assert "not an ISO 8601 time" in result_text(panel) and sim.gateway("m2").attestation is None
        panel.query_one("#attestation-ts", Input).value = SIGNED_AT
        await pilot.press("ctrl+s")
        assert (await finish(pilot, panel)).ok
        assert sim.gateway("m2").attestation == (SIGNATURE, SIGNED_AT, "k1")


async def test_re_attest_marked_gateways_wants_one_attestation_each():
    async with console(*MANAGED) as (sim, app, pilot):
        await mark(app, pilot, "m1", "m2")
        await pilot.press("A")
        panel = app.screen
        assert panel.bulk
        one = {"attestation": SIGNATURE, "attestation_ts": SIGNED_AT, "attestation_kid": "k"}
        panel.query_one("#attestations", TextArea).text = json.dumps({"m1": one})
        panel.query_one("#bulk-confirm", Input).value = "RE-ATTEST"
        await pilot.press("ctrl+s")
        assert "no attestation for m2: give one each" in result_text(panel)
        panel.query_one("#attestations", TextArea).text = json.dumps({"m1": one, "m2": one})
        await pilot.press("ctrl+s")
        results = await run_over(pilot, panel)
        assert [r.outcome for r in results] == ["ok", "ok"]


async def test_reset_wants_the_name_typed_and_frees_the_instance():
    async with console(*MANAGED) as (sim, app, pilot):
        await move_to(app, pilot, "m1")
        await pilot.press("Z")
        panel = app.screen
        assert isinstance(panel, panels.ResetPanel)
        await burst(pilot, *"m2", "enter")
        assert "'m2' is not m1" in result_text(panel) and sim.gateway("m1").bound
        panel.query_one("#confirm", Input).value = ""
        panel.query_one("#skip-greeting", Checkbox).value = True
        await burst(pilot, *"m1", "enter")
        result = await finish(pilot, panel)
        assert result.ok and sim.gateway("m1").bound is None and sim.gateway("m1").clean


async def test_reset_marked_gateways_needs_the_word_and_says_each():
    async with console(*MANAGED) as (sim, app, pilot):
        await mark(app, pilot, "m1", "m2", "classic")
        await pilot.press("Z")
        panel = app.screen
        assert panel.bulk and panel.focused is panel.query_one("#bulk-confirm", Input)
        await burst(pilot, *"RESET", "enter")
        results = await run_over(pilot, panel)
        table = rows(panel)
        assert [table[n][1] for n in ("m1", "m2", "classic")] == ["ok", "ok", "unsupported"]
        assert {r.gateway for r in results if r.ok} == {"m1", "m2"}
        assert sim.gateway("classic").bound is not None


async def test_read_only_greys_the_four_keys_and_says_why():
    async with console(*MANAGED, read_only=True) as (sim, app, pilot):
        await move_to(app, pilot, "m1")
        for key in ("t", "E", "A", "Z"):
            await pilot.press(key)
            assert app.screen is app.main_screen
            assert "read-only" in app.main_screen._message.plain
        assert {row["action"] for row in app.fleet.store.audit_log()} == {
            "notify",
            "update-metadata",
            "re-attest",
            "reset",
        }
