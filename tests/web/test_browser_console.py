"""`convos-tui web --presentation` in a real browser: Debian's chromium, driven headless by Playwright.

The page loads, the console draws, a key creates a conversation, and a screenshot of presentation mode decodes
(zxing-cpp) to the invite the gateway returned. The browser reaches nothing but 127.0.0.1 (every other request
is aborted, and every other host name resolves to nothing). Skipped, with the reason, only where the browser
cannot start.
"""

import os
import sqlite3
import time
import urllib.error
import urllib.request

import pytest
import zxingcpp
from PIL import Image

from convos_tui.sim import GatewaySpec
from tests.served_process import WAIT_S, ServedProcess
from tests.threaded_fleet import ThreadFleet

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@pytest.fixture
def browser(tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        try:
            # Playwright gives it a new empty profile of its own (it refuses --user-data-dir in args).
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        except Exception as exc:  # the only reason to skip: this machine cannot run the browser
            pytest.skip(f"chromium cannot start here: {str(exc).splitlines()[0]}")
        try:
            yield launched
        finally:
            launched.close()


class Web(ServedProcess):
    """`convos-tui web` on a port the OS chooses."""

    def __init__(self, config, data, *args, env=()):
        args = ["--config", config, "web", "--bind", "127.0.0.1:0", *args]
        super().__init__(args, {"XDG_DATA_HOME": str(data), **dict(env)})


@pytest.fixture
def served(tmp_path):
    threaded = ThreadFleet([GatewaySpec("booth-1"), GatewaySpec("booth-2")], speed=50)
    started = []
    with threaded as fleet:
        config = tmp_path / "fleet.toml"
        config.write_text('refresh = "500ms"\n\n' + fleet.config_toml())

        def start(*args, env=()):
            web = Web(config, tmp_path / "data", *args, env=env)
            started.append(web)
            return web

        try:
            yield start
        finally:
            for web in started:
                web.stop()


def invites(data):
    path = data / "convos-tui" / "store.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT invite_url FROM conversations WHERE invite_url IS NOT NULL")]


def until(condition, what, timeout=WAIT_S, fail=True):
    """Wait for `condition()` to be truthy (checked every 0.1 s): a condition, never a guess at a duration."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    if fail:
        raise AssertionError(f"timed out waiting for {what}")
    return None


ELSEWHERE = []  # what a page asked of another host (aborted)


def presenting(page, path):
    page.screenshot(path=str(path))
    red, green, blue = Image.open(path).convert("RGB").getpixel((20, 10))
    return red > 200 and 120 < green < 200 and blue < 100  # textual-dark's accent: presentation's title band


def only_loopback(route):
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
        route.continue_()
    else:
        ELSEWHERE.append(url)
        route.abort()


def test_presentation_in_a_browser_decodes_to_the_invite(browser, served, tmp_path):
    web = served("--presentation", "--allow-actions")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", only_loopback)
    ELSEWHERE.clear()
    page.goto(web.url)
    page.wait_for_selector("body.-first-byte", timeout=WAIT_S * 1000)  # the console's first bytes arrived
    assert ELSEWHERE == []  # the page is served whole: not even a web font from another host
    page.locator("#terminal").click()  # keys go to the terminal
    # Presentation mode is up (its title band, in the dark theme's accent, across the top) before `n` is sent:
    # on the fleet table `n` would rename instead.
    until(lambda: presenting(page, tmp_path / "first.png"), "presentation mode to draw")

    def created():
        # `n` creates on the next idle gateway, and the console knows none is idle before its first polls: press
        # it again until one is (a press while it creates only says "already creating one").
        page.keyboard.press("n")
        return until(lambda: invites(tmp_path / "data"), "an invite", timeout=2, fail=False)

    stored = until(created, "a conversation created by the key")

    def decoded():
        page.screenshot(path=str(tmp_path / "presentation.png"))
        found = zxingcpp.read_barcodes(Image.open(tmp_path / "presentation.png"))
        return [code.text for code in found if code.format == zxingcpp.BarcodeFormat.QRCode]

    texts = until(decoded, "the QR code of presentation mode to decode")
    assert texts[0] in invites(tmp_path / "data") and stored
    assert texts[0].startswith("https://")
    consoles = children(web.process.pid)
    assert consoles  # the console this browser got
    assert web.stop() == 0  # SIGTERM, the page still open, ends the server...
    assert not [pid for pid in consoles if os.path.exists(f"/proc/{pid}")]  # ...and the console it started


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as listed:
        return [int(each) for each in listed.read().split()]


def test_a_token_from_the_environment_is_asked_of_every_request(served):
    web = served(env={"CONVOS_TUI_WEB_TOKEN": "booth-token-5150"})
    base, _, query = web.url.partition("?")
    assert query == "token=booth-token-5150"  # the URL it prints is the one to open
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base, timeout=10)
    assert refused.value.code == 401
    with urllib.request.urlopen(web.url, timeout=10) as page:
        cookie = page.headers["Set-Cookie"]
        assert "textual" in page.read().decode() and "HttpOnly" in cookie
    # The page's own requests (scripts, the websocket) carry the cookie, not the token.
    script = urllib.request.Request(base + "static/js/textual.js", headers={"Cookie": cookie.split(";")[0]})
    with urllib.request.urlopen(script, timeout=10) as answer:
        assert answer.status == 200


def test_a_served_console_is_read_only_unless_told():
    from convos_tui.commands.context import Context
    from convos_tui.commands.web import _console_command

    ctx = Context(profile="booth")
    assert "--read-only" in _console_command(ctx, read_only=True, presentation=False)
    command = _console_command(ctx, read_only=False, presentation=True)
    assert "--read-only" not in command and "--presentation" in command and "--profile booth" in command


def test_basic_auth_lets_a_browser_draw_the_console_and_refuses_one_without(browser, served):
    web = served(env={"CONVOS_TUI_WEB_BASIC": "booth:hunter2-pw"})
    base = web.url.partition("?")[0]
    for path in ("", "ws", "static/js/textual.js"):  # the page, its websocket, its scripts: none without
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + path, timeout=10)
        assert refused.value.code == 401 and refused.value.headers["WWW-Authenticate"].startswith("Basic")
    context = browser.new_context(http_credentials={"username": "booth", "password": "hunter2-pw"})
    try:
        page = context.new_page()
        page.route("**/*", only_loopback)
        page.goto(base)
        # The first bytes come over the websocket: the browser's credentials got it through too.
        page.wait_for_selector("body.-first-byte", timeout=WAIT_S * 1000)
    finally:
        context.close()


def test_beyond_loopback_a_token_is_made_up_unless_credentials_were_given():
    from convos_tui.commands.web import required_beyond_loopback
    from convos_tui.metrics.access import Credentials

    assert not required_beyond_loopback(Credentials(), loopback=True).required
    made = required_beyond_loopback(Credentials(), loopback=False)
    assert (
        made.token
        and len(made.token) >= 24
        and made.token != required_beyond_loopback(Credentials(), loopback=False).token
    )
    basic = Credentials(basic="a:b")
    assert required_beyond_loopback(basic, loopback=False) is basic


def websocket_handshake(url, origin):
    """The status of a websocket handshake to `url` sent with `origin` (no browser: the Origin is ours to set)."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin": origin,
    }
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_page_of_another_site_cannot_open_the_console_websocket(served):
    web = served()
    base = web.url.partition("?")[0]
    # What a page of another site, open in the same browser, would send: refused before any console starts.
    assert websocket_handshake(base + "ws", "http://evil.example") == 403
    assert websocket_handshake(base + "ws", "http://localhost:1") == 403  # another port, another origin


def test_the_printed_url_with_its_token_opens_the_console_in_a_browser(browser, served):
    web = served(env={"CONVOS_TUI_WEB_TOKEN": "booth-token-8080"})
    page = browser.new_page()
    page.route("**/*", only_loopback)
    page.goto(web.url)  # ?token=…: the page sets the cookie its scripts and websocket then carry
    page.wait_for_selector("body.-first-byte", timeout=WAIT_S * 1000)
    page.close()
