"""Which stored invite belongs to a gateway, and why there is none: never made up, revoked never usable."""

from convos_tui.fleet.invites import find_invite
from convos_tui.fleet.store import Store

URL_1 = "https://dev.convos.org/v2?i=" + "A" * 240
URL_2 = "https://dev.convos.org/v2?i=" + "B" * 240


def store_with(*records):
    store = Store.open(None)
    for at, (conversation, origin, url) in enumerate(records):
        store.add_conversation(
            gateway="gw",
            gateway_url="http://127.0.0.1:1",
            conversation_id=conversation,
            origin=origin,
            name=f"room {conversation}",
            env="dev",
            invite_url=url,
            at=1000 + at,
        )
    return store


def test_the_newest_conversation_that_was_not_exploded():
    store = store_with(("c1", "create", URL_1), ("c2", "create", URL_2))
    store.mark_exploded("gw", "c2", at=2000)
    found = find_invite(store, "gw")
    assert found.usable and (found.conversation_id, found.url, found.name, found.env) == ("c1", URL_1, "room c1", "dev")
    assert found.as_dict()["usable"] is True and found.as_dict()["problem"] is None


def test_when_every_conversation_was_exploded_the_answer_says_so():
    store = store_with(("c1", "create", URL_1), ("c2", "create", URL_2))
    store.mark_exploded("gw", "c1", at=2000)
    store.mark_exploded("gw", "c2", at=2001)
    found = find_invite(store, "gw")
    assert not found.usable and found.conversation_id == "c2" and "was exploded" in found.problem
    assert "no conversation was created" not in found.problem


def test_the_bound_conversation_wins_and_an_exploded_one_is_dead():
    store = store_with(("c1", "create", URL_1), ("c2", "create", URL_2))
    assert find_invite(store, "gw", bound_conversation="c1").url == URL_1
    store.mark_exploded("gw", "c1", at=2000)
    dead = find_invite(store, "gw", conversation_id="c1")
    assert not dead.usable and "exploded" in dead.problem and "convos-tui create gw" in dead.problem


def test_a_revoked_invite_is_kept_but_never_usable():
    store = store_with(("c1", "create", URL_1))
    store.mark_invite_revoked("gw", "c1", at=1_790_000_000)
    found = find_invite(store, "gw")
    assert found.url == URL_1 and not found.usable
    assert "no longer works" in found.problem and "2026-09-21 14:13 UTC" in found.problem


def test_a_conversation_provisioned_elsewhere_says_where_its_invite_is():
    store = store_with(("c1", "create", URL_1))
    found = find_invite(store, "gw", bound_conversation="elsewhere-0123456789")
    assert not found.usable and found.url is None and found.conversation_id == "elsewhere-0123456789"
    assert "not created from this console" in found.problem and "convos-tui invite gw" in found.problem


def test_a_joined_conversation_has_no_invite_of_its_own():
    found = find_invite(store_with(("c1", "join", None)), "gw")
    assert not found.usable and "someone else's invite" in found.problem


def test_nothing_stored():
    found = find_invite(Store.open(None), "gw")
    assert not found.usable and "no invite stored for gw" in found.problem


def test_a_create_answer_is_used_as_is():
    found = find_invite(Store.open(None), "gw", conversation_id="c9", invite_url=URL_2)
    assert found.usable and (found.conversation_id, found.url) == ("c9", URL_2)


def test_a_gateway_that_holds_no_conversation_any_more_takes_no_joins():
    store = store_with(("c1", "create", URL_1))
    found = find_invite(store, "gw", holds_none=True)
    assert found.url == URL_1 and not found.usable and "holds no conversation now" in found.problem
    # Right after a create the status has not caught up yet: the create's answer is trusted.
    assert find_invite(store, "gw", conversation_id="c1", holds_none=True, invite_url=URL_1).usable
