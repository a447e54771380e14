"""kill -9 at five points of a real `convos-tui create`: the next run tells the outcome and where the invite is."""

import json
import sqlite3

import pytest

from convos_tui.api.crashpoints import ENV, POINTS

NEVER_RECEIVED = "created by a run that did not finish; its invite was never received"


def audit_rows(home):
    path = f"{home['XDG_DATA_HOME']}/convos-tui/store.sqlite3"
    with sqlite3.connect(path) as db:
        return db.execute("SELECT action, outcome, detail, checked_at FROM audit ORDER BY id").fetchall()


@pytest.mark.parametrize("point", POINTS)
def test_a_create_killed_at_each_point_is_told_by_the_next_run(point, simulator, cli, home):
    sim = simulator(count=1)
    config = str(sim.config)
    gateway = sim.gateways[0]["name"]

    killed = cli("--config", config, "create", gateway, "--json", env={ENV: point})
    assert killed.returncode == -9, killed.stderr  # SIGKILL, as kill -9 at that moment
    assert killed.stdout == ""

    # `invite` reads the store only: it already says what it knows.
    stored = cli("--config", config, "invite", gateway)
    # The next command re-polls what is unfinished, then tells it (here `lock`, which changes nothing
    # when the gateway holds no conversation).
    status = json.loads(cli("--config", config, "status", "--json").stdout)["gateways"][0]
    bound = status["status"]["conversation_id"]
    after = cli("--config", config, "invite", gateway, "--json")

    if point == "start":  # nothing written, nothing sent
        assert bound is None and audit_rows(home) == []
        assert stored.returncode == 1 and "no conversation was created on it from this machine" in stored.stderr
    elif point == "stored":  # the invite and the audit were committed: the invite is there
        assert bound is not None
        assert stored.returncode == 0 and stored.stdout.startswith("https://dev.convos.org/v2?i=")
        assert [row[:2] for row in audit_rows(home)] == [("create", "ok")]
    else:
        assert stored.returncode == 1 and "was cut off before its answer was stored" in stored.stderr
        assert "outcome is unknown" in stored.stderr
        [(action, outcome, _, checked)] = audit_rows(home)
        assert (action, outcome, checked) == ("create", "unknown", None)
        next_run = cli("--config", config, "lock", gateway)
        assert "1 earlier action(s) with an unknown outcome, re-polled:" in next_run.stderr
        [(_, outcome, detail, checked)] = audit_rows(home)[:1]
        assert outcome == "unknown" and checked is not None
        if point == "audit-written":  # nothing had been sent
            assert bound is None and "did not take effect" in next_run.stderr
        else:  # the gateway made the conversation; the invite died with the run
            assert bound is not None
            assert NEVER_RECEIVED in next_run.stderr and NEVER_RECEIVED in detail
            told = json.loads(cli("--config", config, "invite", gateway, "--json").stdout)
            assert not told["usable"] and NEVER_RECEIVED in told["problem"]
        assert "re-polled" not in cli("--config", config, "lock", gateway).stderr  # told once
    assert after.returncode == (0 if point == "stored" else 1)
