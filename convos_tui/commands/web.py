"""`convos-tui web`: the console served to a browser through textual-serve, e.g. presentation mode on a booth screen.

Each browser that opens the page gets a console of its own (a `convos-tui` process textual-serve starts and
speaks to over a websocket), on the same config and profile. Loopback by default; any other address needs
credentials, a token in the URL (made up when $CONVOS_TUI_WEB_TOKEN is not set) or basic auth
($CONVOS_TUI_WEB_BASIC=user:password). A served console is read-only unless --allow-actions.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from convos_tui.commands.context import Context, pass_context

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler
    from aiohttp.web import Application, Request, WebSocketResponse
    from textual_serve.server import Server as TextualServer

    from convos_tui.metrics.access import Credentials

CREDENTIALS_ENV = "CONVOS_TUI_WEB"  # _TOKEN or _BASIC
DEFAULT_PORT = 8080


@click.command()
@click.option(
    "--bind",
    "address",
    default="127.0.0.1:8080",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to serve the page (beyond loopback, browsers must bring credentials).",
)
@click.option("--presentation", is_flag=True, help="Open each console in presentation mode (the invite's QR code).")
@click.option("--allow-actions", is_flag=True, help="Let the served console change gateways (it is read-only else).")
@click.option("--public-url", metavar="URL", help="The address browsers use, when it is not the one bound (a proxy).")
@pass_context
def web(ctx: Context, address: str, presentation: bool, allow_actions: bool, public_url: str | None) -> None:
    """Serve the console to a browser, until Ctrl-C or SIGTERM.

    On an address other than loopback a browser must bring credentials: the URL printed at start holds a token
    ($CONVOS_TUI_WEB_TOKEN, or one made up), or set $CONVOS_TUI_WEB_BASIC=user:password for basic auth."""
    from convos_tui.metrics.access import AddressError, Credentials, listen_on

    try:
        host, port, warning = listen_on(address, default_port=DEFAULT_PORT, bind_any=True, flag="--bind")
        credentials = Credentials.from_env(CREDENTIALS_ENV)
    except (AddressError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    credentials = required_beyond_loopback(credentials, loopback=warning is None)
    if warning:
        click.echo(f"warning: {warning}: browsers must bring credentials", err=True)
    ctx.fleet_inventory()  # a missing or broken config is said here, once, not in every browser
    command = _console_command(ctx, read_only=ctx.read_only or not allow_actions, presentation=presentation)
    server = ConsoleServer(command, host, port, credentials, public_url)
    try:
        asyncio.run(server.run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def required_beyond_loopback(credentials: Credentials, *, loopback: bool) -> Credentials:
    """The credentials given; beyond loopback, a token made up when none were (printed once, in the URL to open)."""
    if loopback or credentials.required:
        return credentials
    from convos_tui.metrics.access import Credentials

    return Credentials(token=secrets.token_urlsafe(24))


def _console_command(ctx: Context, *, read_only: bool, presentation: bool) -> str:
    """The console each browser gets, as a shell command (textual-serve runs it through the shell)."""
    words = [sys.executable, "-m", "convos_tui", "--config", str(ctx.path)]
    if ctx.profile:
        words += ["--profile", ctx.profile]
    if read_only:
        words.append("--read-only")
    if presentation:
        words.append("--presentation")
    return "exec " + shlex.join(words)  # exec: the console is the process textual-serve stops, not a shell


class ConsoleServer:
    """textual-serve's Server on our own runner: bound first (port 0 works), credentials checked on every request."""

    def __init__(self, command: str, host: str, port: int, credentials: Credentials, public_url: str | None) -> None:
        self.command = command
        self.host, self.port = host, port
        self.credentials = credentials
        self.public_url = public_url

    def _page_url(self, port: int) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def origins(self) -> set[str]:
        """Where a page of this server comes from, as a browser says in the websocket's Origin header."""
        from convos_tui.metrics.access import is_loopback

        page = urlsplit(self._page_url(self.port))
        found = {f"{page.scheme}://{page.netloc}"}
        if is_loopback(self.host):  # the same page opened by another name of this machine
            found |= {f"http://{name}:{self.port}" for name in ("localhost", "127.0.0.1", "[::1]")}
        return found

    def refusal(self, path: str, origin: str | None) -> str | None:
        """Why a request may not go on, if it may not. A page of any other site open in the same browser may open
        a websocket to this port (browsers allow it across origins) and type into the console: only this
        server's own page may."""
        if path == "/ws" and origin is not None and origin.rstrip("/") not in self.origins():
            return f"403: a page of {origin} may not drive this console"
        return None

    async def run(self) -> None:
        from aiohttp import web

        from convos_tui.metrics.server import guard
        from convos_tui.sim.server import stop_signals

        with stop_signals() as stop:
            served = session_server(self.command, self.host, self.port)
            app = await served._make_app()  # its routes (page, websocket, statics), on our runner
            local_page(app, served.templates_path)

            @web.middleware
            async def same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
                refused = self.refusal(request.path, request.headers.get("Origin"))
                if refused is not None:
                    return web.Response(status=403, text=refused + "\n")
                return await handler(request)

            app.middlewares.append(same_origin)
            if self.credentials.required:
                app.middlewares.append(guard(self.credentials, browser=True))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            try:
                await web.TCPSite(runner, self.host, self.port).start()
                self.port = runner.addresses[0][1]
                served.public_url = self._page_url(self.port)  # the page's websocket URL is built from it
                query = f"?token={self.credentials.token}" if self.credentials.token else ""
                click.echo(f"serving the console at {served.public_url}/{query} (Ctrl-C stops)", err=True)
                await stop.wait()
            finally:
                await runner.cleanup()  # closes each websocket: its console is told to quit, and waited for


def session_server(command: str, host: str, port: int) -> TextualServer:
    """textual-serve's Server, quiet at start (its banner names the command: ours says where to go instead), and
    ending each open page's session at shutdown: a page left open would hold its websocket, and the server, for
    aiohttp's whole shutdown timeout. Cancelled, textual-serve closes it, tells its console to quit and waits."""
    from textual_serve.server import Server

    class Served(Server):
        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title="convos-tui")
            self.sessions: set[asyncio.Task[object]] = set()  # one per open page: its websocket and console

        async def on_startup(self, app: Application) -> None:
            pass

        async def handle_websocket(self, request: Request) -> WebSocketResponse:
            task = asyncio.current_task()
            assert task is not None
            self.sessions.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions.discard(task)

        async def on_shutdown(self, app: Application) -> None:
            for task in list(self.sessions):
                task.cancel()
            await asyncio.gather(*self.sessions, return_exceptions=True)

    return Served()


# The page's one request beyond this server: a stylesheet for a web font. Render-blocking on a booth's captive
# network, and it tells a third party who opened the console; the page falls back to a local monospace font.
REMOTE_STYLESHEET = re.compile(r"<link\s[^>]*href=\"https?://[^\"]*\"[^>]*/?>", re.IGNORECASE)


def local_page(app: Application, templates: Path) -> None:
    """Serve textual-serve's own page template without the links to other hosts."""
    import aiohttp_jinja2
    import jinja2

    def load(name: str) -> str:
        return REMOTE_STYLESHEET.sub("", (templates / name).read_text(encoding="utf-8"))

    aiohttp_jinja2.setup(app, loader=jinja2.FunctionLoader(load))  # replaces the file loader it set up
