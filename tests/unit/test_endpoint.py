import pytest

from convos_tui.api.endpoint import Endpoint, Route, Timeouts


def test_default_timeouts_per_route():
    timeouts = Timeouts()
    assert timeouts.for_route(Route.STATUS) == 3
    assert timeouts.for_route(Route.CREATE) == 15
    assert timeouts.for_route(Route.JOIN) == 70
    assert {timeouts.for_route(r) for r in (Route.SEND, Route.RENAME, Route.LOCK, Route.EXPLODE)} == {15}


@pytest.mark.parametrize("value", [0, -1, "3", True, 10_000])
def test_bad_timeouts_are_refused(value):
    with pytest.raises(ValueError, match="between 0 and 3600"):
        Timeouts(status=value)


def test_path_prefix_behind_a_proxy():
    endpoint = Endpoint("https://proxy.example/gw/7/")
    assert endpoint.route_url(Route.STATUS) == "https://proxy.example/gw/7/convos/status"


def test_token_never_in_repr():
    assert "s3cret" not in repr(Endpoint("http://127.0.0.1:1", token="s3cret"))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "empty"),
        ("127.0.0.1:18789", "not an http"),
        ("http://", "no host"),
        ("http://user:pw@127.0.0.1:1", "user name or password"),
        ("http://127.0.0.1:99999", "invalid port"),
        ("http://127.0.0.1:1/?x=1", "query"),
        ("http://127.0.0.1:1/\x1b[2J", "control character"),
        ("http://127.0.0.1:1/\u202egw", "control character"),
    ],
)
def test_bad_urls(url, words):
    with pytest.raises(ValueError, match=words):
        Endpoint(url)
