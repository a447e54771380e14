"""`convos-tui simulate` as a person runs it: a real process, its printed TOML, real HTTP, Ctrl-C."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

import pytest


def run_cli(*args, timeout=20):
    return subprocess.run([sys.executable, "-m", "convos_tui", *args], capture_output=True, text=True, timeout=timeout)


def read_toml(process, deadline_s=20.0):
    """Lines printed by the simulator until its gateways are all announced."""
    lines = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        text = "".join(lines)
        try:
            config = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        if len(config.get("gateways", [])) == 3 and line.strip() == "":
            config["_text"] = text
            return config
    raise AssertionError("the simulator printed no complete config:\n" + "".join(lines))


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], json.loads(response.read())


def port_is_closed(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_version_and_help():
    from convos_tui import __version__

    assert run_cli("--version").stdout.strip() == f"convos-tui, version {__version__}"
    helped = run_cli("--help")
    assert helped.returncode == 0 and "simulate" in helped.stdout


def test_simulate_serves_gateways_that_http_clients_can_use_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "simulate", "--count", "3", "--speed", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        config = read_toml(process)
        urls = [gateway["url"] for gateway in config["gateways"]]
        assert all(url.startswith("http://127.0.0.1:") for url in urls)
        for url in urls:
            assert get_json(url + "/convos/status") == (
                200,
                "application/json",
                {"ready": True, "conversation": None, "streaming": False},
            )
        request = urllib.request.Request(urls[0] + "/convos/conversation", data=b'{"name":"Ops"}', method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            created = json.loads(response.read())
        assert set(created) == {"conversationId", "inviteUrl", "inviteSlug"}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        # Everything printed is TOML, so `convos-tui simulate > fleet.toml` gives a usable config.
        assert tomllib.loads(config["_text"] + process.stdout.read())["gateways"] == config["gateways"]
        ports = [int(url.rsplit(":", 1)[1]) for url in urls]
        assert all(port_is_closed(port) for port in ports)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_write_config_writes_the_toml_to_a_file(tmp_path):
    target = tmp_path / "fleet.toml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convos_tui",
            "simulate",
            "--count",
            "2",
            "--mode",
            "pool-key",
            "--write-config",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (target.exists() and target.stat().st_size):
            time.sleep(0.05)
        config = tomllib.loads(target.read_text())
        assert [g["token_env"] for g in config["gateways"]] == ["CONVOS_SIM_POOL_KEY"] * 2
        assert "export CONVOS_SIM_POOL_KEY=" in target.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--mode", "sideways"], "Invalid value for '--mode'"),
        (["--mix", "--mode", "down"], "--mix and --mode do not go together"),
        (["--runtimes", "--mode", "down"], "--runtimes chooses the modes itself"),
        (["--count", "0"], "Invalid value for '--count'"),
        (["--count", "10", "--base-port", "65530"], "leaves no room"),
    ],
)
def test_bad_options_are_explained(args, words):
    result = run_cli("simulate", *args)
    assert result.returncode == 2
    assert words in result.stderr


def test_runtimes_serves_one_gateway_of_each_runtime(tmp_path):
    target = tmp_path / "runtimes.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "simulate", "--runtimes", "--write-config", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (target.exists() and target.stat().st_size):
            time.sleep(0.05)  # waiting for a condition: the file written once every gateway listens
        gateways = {g["name"]: g for g in tomllib.loads(target.read_text())["gateways"]}
        assert set(gateways) == {"openclaw-plugin", "openclaw-bound", "hermes", "wrapper-openclaw", "wrapper-hermes",
                                 "railway-template", "plugin-404", "no-plugin-2026.9"}  # fmt: skip
        assert get_json(gateways["hermes"]["url"] + "/health") == (200, "application/json", {"ok": True})
        status, _, health = get_json(gateways["wrapper-hermes"]["url"] + "/pool/health")
        assert (status, health["runtime"]) == (200, "hermes")
        assert gateways["railway-template"]["token_env"] == "CONVOS_SIM_POOL_KEY"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
