"""`convos-tui serve --metrics`: /metrics read by prometheus_client's own parser, against a simulated fleet in
known states, as Prometheus scrapes it: counts per state, a failing gateway's failures growing, no token."""

import base64
import gzip
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from convos_tui.sim import GatewaySpec, Mode
from tests.served_process import WAIT_S, ServedProcess
from tests.threaded_fleet import ThreadFleet

POOL_KEY = "pk-right-key-4242"
WRONG_KEY = "pk-wrong-key-9876"
SPECS = [
    GatewaySpec("idle-1"),
    GatewaySpec("idle-2"),
    GatewaySpec("live-1", Mode.BOUND),
    GatewaySpec("down-1", Mode.DOWN),
    GatewaySpec("keyed-1", Mode.POOL_KEY, pool_key=POOL_KEY),
]
TAGS = {"idle-1": ["region/eu"], "live-1": ["region/us", "pool-a"], "down-1": ["region/eu"]}


def gateways_toml(fleet):
    lines = ['refresh = "500ms"', 'metric_labels = ["region"]', ""]
    for gw in fleet.gateways:
        lines += ["[[gateways]]", f'name = "{gw.name}"', f'url = "{gw.url}"', f"tags = {TAGS.get(gw.name, [])!r}"]
        if gw.pool_key:
            lines.append('token_env = "TEST_POOL_KEY"')  # set to the wrong key: unauthorized
        lines.append("")
    return "\n".join(lines).replace("'", '"')


@pytest.fixture
def fleet_config(tmp_path):
    threaded = ThreadFleet(SPECS)
    with threaded as fleet:
        path = tmp_path / "fleet.toml"
        path.write_text(gateways_toml(fleet))
        yield fleet, path


class Served(ServedProcess):
    """`convos-tui serve` on a port the OS chooses."""

    def __init__(self, path, tmp_path, *args, env=()):
        environment = {"XDG_DATA_HOME": str(tmp_path / "data"), "TEST_POOL_KEY": WRONG_KEY, **dict(env)}
        super().__init__(["--config", path, "serve", "--metrics", "127.0.0.1:0", *args], environment)

    def get(self, headers=()):
        request = urllib.request.Request(self.url, headers=dict(headers))
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode("utf-8")


@pytest.fixture
def serve(fleet_config, tmp_path):
    started = []

    def start(*args, env=()):
        served = Served(fleet_config[1], tmp_path, *args, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def samples(text):
    """{(metric sample name, frozenset of labels): value}, read by the library's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found, name, **labels):
    return found[(name, frozenset(labels.items()))]


def scrape_until(served, done):
    """Scrape until `done(samples)` holds: the serve polls on its own schedule."""
    for _ in range(WAIT_S * 20):
        text = served.get()
        found = samples(text)
        if done(found):
            return text, found
        threading.Event().wait(0.05)  # between two scrapes, not a guess at how long anything takes
    raise AssertionError(f"never held; last scrape:\n{text}")


def polled_all(found):
    return (
        value(found, "convos_fleet_gateways", state="unknown") == 0
        and value(found, "convos_fleet_gateways", state="starting") == 0
    )


def test_counts_per_state_failures_grow_and_no_token(serve):
    served = serve()
    text, found = scrape_until(served, polled_all)
    counts = {state: value(found, "convos_fleet_gateways", state=state) for state in ("idle", "live", "unreachable")}
    assert counts == {"idle": 2, "live": 1, "unreachable": 1}
    assert value(found, "convos_fleet_gateways", state="unauthorized") == 1
    # One state set per gateway; the region label is the value of its region/ tag, "" when it has none.
    assert value(found, "convos_gateway_state", gateway="live-1", region="us", state="live") == 1
    assert value(found, "convos_gateway_state", gateway="live-1", region="us", state="idle") == 0
    assert value(found, "convos_gateway_up", gateway="idle-1", region="eu") == 1
    assert value(found, "convos_gateway_up", gateway="down-1", region="eu") == 0
    assert value(found, "convos_gateway_up", gateway="keyed-1", region="") == 0
    assert value(found, "convos_gateway_state_since_seconds", gateway="idle-2", region="") >= 0
    # Answered polls are timed; a refused connection is not.
    assert value(found, "convos_gateway_poll_duration_seconds_count", gateway="idle-1", region="eu") >= 1
    assert value(found, "convos_gateway_poll_duration_seconds_count", gateway="down-1", region="eu") == 0
    assert value(found, "convos_gateway_poll_failures_total", gateway="idle-1", region="eu") == 0
    first = value(found, "convos_gateway_poll_failures_total", gateway="down-1", region="eu")
    assert first >= 1
    _, later = scrape_until(
        served, lambda f: value(f, "convos_gateway_poll_failures_total", gateway="down-1", region="eu") > first
    )
    assert value(later, "convos_gateway_poll_failures_total", gateway="keyed-1", region="") >= 1
    for secret in (WRONG_KEY, POOL_KEY, "Bearer"):
        assert secret not in text
    assert "conversation" not in text.replace("convos_", "")  # no conversation id in any label
    assert served.stop() == 0  # SIGTERM stops it cleanly


def test_bearer_token_and_basic_auth_from_the_environment(serve):
    served = serve(env={"CONVOS_TUI_METRICS_TOKEN": "scrape-token-31337"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        served.get()
    assert refused.value.code == 401 and refused.value.headers["WWW-Authenticate"].startswith("Bearer")
    with pytest.raises(urllib.error.HTTPError):
        served.get({"Authorization": "Bearer not-the-token"})
    text = served.get({"Authorization": "Bearer scrape-token-31337"})
    assert "convos_fleet_gateways" in text and "scrape-token-31337" not in text

    basic = serve(env={"CONVOS_TUI_METRICS_BASIC": "prom:hunter22"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        basic.get()
    assert refused.value.headers["WWW-Authenticate"].startswith("Basic")
    good = base64.b64encode(b"prom:hunter22").decode()
    assert "convos_gateway_up" in basic.get({"Authorization": f"Basic {good}"})


def test_loopback_unless_told_and_a_warning_then(fleet_config, tmp_path):
    _, path = fleet_config
    command = [sys.executable, "-m", "convos_tui", "--config", str(path), "serve", "--metrics", "0.0.0.0:0"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_S)
    assert refused.returncode == 2
    assert "not a loopback address" in refused.stderr and "--metrics-bind-any" in refused.stderr
    bad = subprocess.run(command[:-1] + ["localhost:http"], capture_output=True, text=True, timeout=WAIT_S)
    assert bad.returncode == 2 and "no valid port" in bad.stderr


def test_gzip_and_openmetrics_as_prometheus_asks_for_them(serve):
    served = serve()
    request = urllib.request.Request(
        served.url, headers={"Accept-Encoding": "gzip", "Accept": "application/openmetrics-text; version=1.0.0"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        text = gzip.decompress(response.read()).decode()
    families = {family.name: family for family in openmetrics_families(text)}
    assert families["convos_gateway_poll_failures"].type == "counter"
    assert families["convos_gateway_poll_duration_seconds"].unit == "seconds"
    assert text.endswith("# EOF\n")


def test_an_action_in_the_audit_is_counted_by_its_outcome(serve, fleet_config, tmp_path):
    served = serve()
    _, path = fleet_config
    environment = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "TEST_POOL_KEY": WRONG_KEY}
    for gateway in ("idle-1", "down-1"):  # one that creates, one that cannot be reached
        subprocess.run(
            [sys.executable, "-m", "convos_tui", "--config", str(path), "create", gateway],
            capture_output=True,
            timeout=WAIT_S,
            env=environment,
        )
    _, found = scrape_until(
        served, lambda f: ("convos_action_total", frozenset({("action", "create"), ("outcome", "ok")})) in f
    )
    assert value(found, "convos_action_total", action="create", outcome="ok") == 1
    assert value(found, "convos_action_total", action="create", outcome="failed") == 1
