"""The console on a fleet of every runtime the field runs (issue 17), on fixed data: each row in its state
with its runtime named, and the detail of a gateway whose core is ready but whose plugin routes are missing."""

import pytest

from convos_tui.api import errors, runtimes
from convos_tui.api.runtimes import Runtime
from convos_tui.fleet.health_poll import Health
from convos_tui.fleet.state import State
from tests.snapshots.grid import SIZES, THEMES, on
from tests.ui_fixtures import build_fleet, cid, make_app

CORE_READY = "no Convos plugin: the core is ready (/readyz) but the plugin routes answer with a text 404"
# name, state, conversation, streaming, latency ms, seconds in state, tags, error (as tests/ui_fixtures.SPEC)
SPEC = [
    ("openclaw-plugin", State.IDLE, None, False, 2.1, 600, ("sim",), None),
    ("openclaw-bound", State.LIVE, cid(1), True, 2.3, 600, ("sim",), None),
    ("hermes", State.IDLE, None, None, 3.0, 600, ("sim",), None),
    ("wrapper-openclaw", State.IDLE, None, None, 2.8, 600, ("sim",), None),
    ("wrapper-hermes", State.LIVE, cid(2), None, 3.4, 600, ("sim",), None),
    ("wrapper-booting", State.STARTING, None, None, 1.2, 20, ("sim",),
     errors.Starting("starting: the runtime behind the pool wrapper is not up yet (/pool/health)")),
    ("railway-template", State.IDLE, None, None, 1.9, 600, ("sim",), None),
    ("plugin-404", State.NO_PLUGIN, None, None, 2.2, 600, ("sim",), errors.PluginMissing(CORE_READY, status=404)),
    ("no-plugin-2026.9", State.NO_PLUGIN, None, None, 2.5, 600, ("sim",),
     errors.PluginMissing("no Convos plugin: the core is ready (/readyz) but the plugin routes answer with a web page "
                          "(the Control UI)")),
]  # fmt: skip
HEALTH = {
    "openclaw-plugin": Health(Runtime("openclaw", core="<2026.3"), ("/convos/status: answered (classic shape)",)),
    "openclaw-bound": Health(Runtime("openclaw", core="<2026.3"), ("/convos/status: answered (classic shape)",)),
    "hermes": Health(Runtime("hermes"), ("/readyz: absent (FastAPI's 404: a Hermes runtime)",)),
    "wrapper-openclaw": Health(Runtime("openclaw", "0.3.4", wrapper=True), ("/pool/health: ready (openclaw 0.3.4)",)),
    "wrapper-hermes": Health(Runtime("hermes", "0.3.4", wrapper=True), ("/pool/health: ready (hermes 0.3.4)",)),
    "wrapper-booting": Health(
        Runtime(wrapper=True), ("/pool/health: the runtime behind the wrapper is still starting",)
    ),
    "railway-template": Health(Runtime(runtimes.RAILWAY), ("/pool/status: answered (railway shape)",)),
    "plugin-404": Health(
        Runtime("openclaw", core="2026.3+"),
        (
            "/convos/status: failed (no Convos plugin: the gateway has no such route (HTTP 404))",
            "/readyz: ready",
            "/pool/health: absent (the Control UI's page)",
        ),
    ),
    "no-plugin-2026.9": Health(Runtime("openclaw", core="2026.3+"), ("/readyz: ready",)),
}


def runtime_app(theme):
    return make_app(fleet=build_fleet(SPEC, health=HEALTH), theme=theme)


@pytest.mark.parametrize("theme", THEMES)
def test_every_runtime_named(snap_compare, theme):
    assert snap_compare(runtime_app(theme), terminal_size=SIZES["wide"])


@pytest.mark.parametrize("theme", THEMES)
def test_filtered_by_runtime(snap_compare, theme):
    keys = ["slash", *"runtime:hermes", "enter"]
    assert snap_compare(runtime_app(theme), press=keys, terminal_size=SIZES["wide"])


@pytest.mark.parametrize("theme", THEMES)
def test_the_health_reasons_in_the_detail(snap_compare, theme):
    assert snap_compare(runtime_app(theme), run_before=on("plugin-404", "enter"), terminal_size=SIZES["wide"])
