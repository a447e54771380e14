"""Where an invite is, when the gateway asked holds none: this console, if it holds it (issue 13 item 11)."""

from convos_tui.fleet.invites import find_invite
from convos_tui.fleet.store import Store
from tests.fleet.test_invites import URL_1, URL_2, store_with


def test_a_joiner_whose_creator_is_in_this_console_points_to_it():
    """Issue 13 item 11: the panel sent the operator to 'the machine whose console created it': this one."""
    store = store_with(("c1", "join", None))
    store.add_conversation(
        gateway="gw-creator",
        gateway_url="http://127.0.0.1:2",
        conversation_id="c1",
        origin="create",
        name="room",
        env="dev",
        invite_url=URL_1,
        at=900,
    )
    found = find_invite(store, "gw")
    assert not found.usable and "on gw-creator: select gw-creator and press i" in found.problem
    assert "machine whose console" not in found.problem
    bound = find_invite(Store.open(None), "gw", bound_conversation="c1")  # no record of the join: still elsewhere
    assert "not created from this console" in bound.problem
    store.add_conversation(
        gateway="gw-creator",
        gateway_url="http://127.0.0.1:2",
        conversation_id="c9",
        origin="create",
        name="room",
        env="dev",
        invite_url=URL_2,
        at=950,
    )
    unrecorded = find_invite(store, "gw-3", bound_conversation="c9")  # joined outside the console
    assert "created on gw-creator" in unrecorded.problem and "press i" in unrecorded.problem
