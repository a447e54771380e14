"""What a person sees of invites, pinned: the QR panel, its too-small message, presentation mode, a revoked
invite and one provisioned elsewhere, at 120×40 and 80×24, dark and light, on fixed data and fixed invites.

Regenerate after an intended change with `pytest tests/snapshots --snapshot-update`, and look at them.
"""

import pytest

from tests.invite_samples import SHORT
from tests.snapshots.grid import SIZES, THEMES, on
from tests.ui_fixtures import NOW, add_invite, make_app


def app_with_invite(theme="textual-dark"):
    app = make_app(theme=theme)
    # A real-shaped invite for the booth's conversation (the fixture's own is a placeholder slug).
    add_invite(app, "eu-booth-1", 1, name="Booth", env="dev", invite_url=SHORT, at=NOW - 10)
    add_invite(
        app,
        "us-slow",
        5,
        name="[bold]Slow[/bold]",
        env="production",
        invite_url=SHORT,
        at=NOW - 100,
        revoked_at=NOW - 50,
    )
    return app


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_qr_panel(snap_compare, theme, size):
    # At 80×24 no real invite fits: that snapshot pins the too-small message.
    assert snap_compare(app_with_invite(theme), run_before=on("eu-booth-1", "i"), terminal_size=SIZES[size])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", ["wide", "narrow"])
def test_presentation(snap_compare, theme, size):
    assert snap_compare(app_with_invite(theme), run_before=on("eu-booth-1", "P"), terminal_size=SIZES[size])


def test_revoked_invite(snap_compare):
    assert snap_compare(app_with_invite(), run_before=on("us-slow", "i"), terminal_size=SIZES["wide"])


def test_conversation_provisioned_elsewhere(snap_compare):
    assert snap_compare(app_with_invite(), run_before=on("eu-booth-2", "i"), terminal_size=SIZES["wide"])
