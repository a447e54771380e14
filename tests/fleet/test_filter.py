import pytest

from convos_tui.api.models import GatewayStatus
from convos_tui.fleet.filter import Filter, FilterError
from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import GatewayState, State


def row(name, state, tags=(), env="dev", conversation=None, reason="r"):
    config = GatewayConfig(name=name, url=f"http://127.0.0.1/{name}", env=env, tags=tags)
    gw = GatewayState(name, added_at=0)
    gw.state, gw.reason = state, reason
    gw.status = GatewayStatus("classic", True, conversation, True)
    return config, gw


ROWS = [
    row("eu-1", State.LIVE, ("eu", "pool-a"), conversation="ab" * 16),
    row("eu-2", State.STALLED, ("eu",), reason="stream down for 2 min"),
    row("us-1", State.IDLE, ("us",), env="production"),
    row("us-2", State.UNREACHABLE, ("us", "pool-a"), env="production"),
]


def names(expression):
    f = Filter(expression)
    return [config.name for config, state in ROWS if f.matches(config, state)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("", ["eu-1", "eu-2", "us-1", "us-2"]),
        ("state:stalled", ["eu-2"]),
        ("state:stalled,unreachable", ["eu-2", "us-2"]),
        ("state:faults", ["eu-2", "us-2"]),
        ("-state:faults", ["eu-1", "us-1"]),
        ("tag:pool-a", ["eu-1", "us-2"]),
        ("env:production", ["us-1", "us-2"]),
        ("tag:pool-a env:dev", ["eu-1"]),
        ("EU", ["eu-1", "eu-2"]),
        ("name:us-*", ["us-1", "us-2"]),
        ("conv:abab", ["eu-1"]),
        ("stream", ["eu-2"]),
    ],
)
def test_expressions(expression, expected):
    assert names(expression) == expected


@pytest.mark.parametrize(
    ("expression", "words"),
    [("colour:red", "unknown field 'colour'"), ("state:broken", "unknown state 'broken'"), ("tag:", "has no value")],
)
def test_bad_expressions_say_why(expression, words):
    with pytest.raises(FilterError, match=words):
        Filter(expression)


def test_origin_picks_the_instances_of_a_launcher():
    launched = [
        (
            GatewayConfig(name="sim-a1", url="http://127.0.0.1:20001", env="dev", origin="launcher:sim"),
            GatewayState("sim-a1", added_at=0),
        ),
        (
            GatewayConfig(name="lab-b1", url="http://127.0.0.1:20011", env="dev", origin="launcher:lab"),
            GatewayState("lab-b1", added_at=0),
        ),
        *ROWS[:1],
    ]

    def picked(expression):
        f = Filter(expression)
        return [config.name for config, state in launched if f.matches(config, state)]

    assert picked("origin:launcher:sim") == ["sim-a1"]
    assert picked("origin:launcher:*") == ["sim-a1", "lab-b1"]
    assert picked("-origin:launcher:*") == ["eu-1"]
    assert picked("origin:config") == ["eu-1"]
