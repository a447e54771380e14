"""What a gateway or a pipe can throw at a real `convos-tui` process: binary stdin, echoed tokens, escapes."""

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from convos_tui.sim import GatewaySpec
from tests.threaded_fleet import ThreadFleet

TOKEN = "S3CRET-pool-key-1234567890"
HOSTILE = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b[31mRED \u202eRTL\u2066 \x9b31m \x00"


def test_binary_stdin_is_refused_before_anything_is_sent(tmp_path, cli, home):
    with ThreadFleet([GatewaySpec("a", mode="bound")], speed=500) as sim:
        config = tmp_path / "fleet.toml"
        config.write_text(sim.config_toml())
        sent = cli("--config", str(config), "send", "a", "-", input=b"ok\xff\xfe end", text=False)
        assert sim.gateway("a").sent_messages == []
    assert sent.returncode == 2
    err = sent.stderr.decode()
    assert "byte 2 (0xff)" in err and "nothing was sent" in err and "Traceback" not in err
    path = f"{home['XDG_DATA_HOME']}/convos-tui/store.sqlite3"
    try:
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM audit WHERE action = 'send'").fetchone()[0] == 0
    except sqlite3.OperationalError:
        pass  # no store at all: nothing was written, nothing was sent


class Echo(BaseHTTPRequestHandler):
    """A gateway that echoes the Authorization header and hostile text in every answer it gives."""

    def answer(self):
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"error": f"auth header was {auth}; {HOSTILE} the key: {auth[7:]}"})
        status = 500 if self.command == "POST" else 400
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_gateway(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = tmp_path / "fleet.toml"
    config.write_text(
        f'[[gateways]]\nname = "echo"\nurl = "http://127.0.0.1:{server.server_port}"\n'
        'env = "dev"\ntoken_env = "ECHO_KEY"\n'
    )
    yield config
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def everything_stored(home):
    with sqlite3.connect(f"{home['XDG_DATA_HOME']}/convos-tui/store.sqlite3") as db:
        return json.dumps(
            [db.execute(f"SELECT * FROM {table}").fetchall() for table in ("audit", "transitions", "conversations")]
        )


def test_an_echoed_token_is_never_shown_stored_or_exported(echo_gateway, cli, home):
    env = {"ECHO_KEY": TOKEN}
    runs = [
        cli("--config", str(echo_gateway), *args, env=env)
        for args in (
            ["create", "echo"],
            ["create", "echo", "--json"],
            ["status"],
            ["status", "--json"],
            ["status", "--csv"],
            ["send", "echo", "hi"],
            ["provision", "--count", "1", "--json"],
        )
    ]
    assert [r.returncode for r in runs[:2]] == [1, 1]
    assert "auth header was Bearer [redacted]" in runs[0].stderr or "[redacted]" in runs[0].stdout
    stored = everything_stored(home)
    for text in [r.stdout + r.stderr for r in runs] + [stored]:
        assert TOKEN not in text


def test_escapes_in_every_gateway_string_reach_no_output_raw(echo_gateway, cli, home):
    env = {"ECHO_KEY": TOKEN}
    runs = [
        cli("--config", str(echo_gateway), *args, env=env)
        for args in (
            ["create", "echo"],
            ["create", "echo", "--json"],
            ["status"],
            ["status", "--json"],
            ["status", "--jsonl"],
            ["status", "--csv"],
            ["join", "echo", "https://dev.convos.org/v2?i=" + "A" * 240],
        )
    ]
    stored = everything_stored(home)
    for text in [r.stdout + r.stderr for r in runs] + [stored]:
        for character in ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\x00"):
            assert character not in text
            assert json.dumps(character)[1:-1] not in text  # nor escaped inside JSON, for a later reader


async def test_the_polling_process_redacts_an_echoed_bare_key_too(echo_gateway):
    """The console's polling process gets its configs pickled, not built: it must still know the key to redact it
    where a gateway echoes it without the `Bearer` that the pattern catches."""
    from convos_tui.fleet.inventory import GatewayConfig
    from convos_tui.fleet.poller import Poller
    from tests.fleet.test_poller import wait_for

    url = echo_gateway.read_text().split('url = "')[1].split('"')[0]
    key = "bare-S3CRET-key-0123456789"
    poller = Poller([GatewayConfig(name="echo", url=url, token=key)], interval_s=0.5, start_grace_s=0)
    poller.start_process()
    try:
        assert poller.in_process
        await wait_for(lambda: poller.states["echo"].reason not in ("", None) and poller.states["echo"].error)
    finally:
        poller.stop_process()
    state = poller.states["echo"]
    shown = f"{state.reason} {state.error.summary} {state.error.detail}"
    assert "the key:" in shown and key not in shown
