"""The pool_members table on its own: reservations bounded in their transaction, what a reason may hold."""

from __future__ import annotations

from convos_tui.pools.members import CRASHED, LAUNCHING, READY, Members


def test_reservations_count_again_in_their_transaction(tmp_path):
    first, second = Members.open(tmp_path / "store.sqlite3"), Members.open(tmp_path / "store.sqlite3")
    try:
        assert len(first.reserve("p", 3, max_total=4, up_to_ready=3)) == 3
        assert second.reserve("p", 3, max_total=4, up_to_ready=3) == []  # a refill: 3 launching already
        assert len(second.reserve("p", 3, max_total=4)) == 1  # a replenish: up to max_total only
        assert second.counts("p")[LAUNCHING] == 4
    finally:
        first.close()
        second.close()


def test_a_reason_or_log_tail_quoting_a_gateway_is_cleaned_and_redacted(tmp_path):
    members = Members.open(tmp_path / "store.sqlite3")
    try:
        [row] = members.reserve("p", 1, max_total=1)
        members.named(row, "i-1")
        members.set_state("i-1", READY, "ready")
        members.set_state(
            "i-1",
            CRASHED,
            "died: Authorization: Bearer abcdefghijklmnop1234 \x1b[2J",
            log_tail="curl -H 'Authorization: Bearer abcdefghijklmnop1234'",
        )
        crashed = members.get("i-1")
        assert "abcdefghijklmnop1234" not in crashed.reason and "\x1b" not in crashed.reason
        assert "abcdefghijklmnop1234" not in crashed.log_tail
        assert all("abcdefghijklmnop1234" not in e["reason"] for e in members.events("p"))
    finally:
        members.close()
