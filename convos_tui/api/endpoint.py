"""Where a gateway is and how to talk to it: base URL, pool key, TLS, per-route timeouts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from convos_tui.api.interpret import clean_text, remember_secret


class Route(enum.Enum):
    """The plugin's routes this console calls. `mutating` calls are never retried by themselves."""

    STATUS = ("GET", "/convos/status", False)
    CREATE = ("POST", "/convos/conversation", True)
    JOIN = ("POST", "/convos/join", True)
    SEND = ("POST", "/convos/conversation/send", True)
    RENAME = ("POST", "/convos/rename", True)
    LOCK = ("POST", "/convos/lock", True)
    EXPLODE = ("POST", "/convos/explode", True)
    SETUP_STATUS = ("GET", "/convos/setup/status", False)
    # The managed runtime's newer routes (OpenClaw fork and Hermes); other gateways answer 404 or a web page.
    NOTIFY = ("POST", "/convos/notify", True)
    UPDATE_METADATA = ("POST", "/convos/update-metadata", True)
    RE_ATTEST = ("POST", "/convos/re-attest", True)
    RESET = ("POST", "/convos/reset", True)

    def __init__(self, method: str, path: str, mutating: bool) -> None:
        self.method = method
        self.path = path
        self.mutating = mutating

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds a whole call may take, body included (a slow-drip answer cannot stretch it)."""

    status: float = 3.0
    create: float = 15.0
    join: float = 70.0  # the plugin's CLI waits up to 60 s for the creator to accept
    send: float = 15.0
    rename: float = 15.0
    lock: float = 15.0
    explode: float = 15.0
    setup_status: float = 15.0
    notify: float = 60.0  # Hermes answers once the agent has answered the notification
    update_metadata: float = 15.0
    re_attest: float = 15.0
    reset: float = 30.0  # stops the instance and deletes its identity and state

    def for_route(self, route: Route) -> float:
        return float(getattr(self, route.name.lower()))

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 3600:
                raise ValueError(f"timeout {name!r} must be a number of seconds between 0 and 3600, got {value!r}")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One gateway. `url` may carry a path prefix (a reverse proxy); the token is the pool key."""

    url: str
    token: str | None = field(default=None, repr=False)
    verify_tls: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        problem = url_problem(self.url)
        if problem:
            raise ValueError(problem)
        remember_secret(self.token)  # a gateway that echoes it back never gets it shown or stored

    def route_url(self, route: Route) -> str:
        return self.url.rstrip("/") + route.path

    @property
    def display_url(self) -> str:
        return display_url(self.url)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a gateway's base URL, or None when it can."""
    if not isinstance(url, str) or not url.strip():
        return "the URL is empty: give the gateway's base URL, e.g. http://127.0.0.1:18789"
    if clean_text(url) != url:
        # From a gateways file or a pool manager as much as from the config: never let it reach a terminal raw.
        return f"{clean_text(display_url(url))!r} holds a control character: give a plain http:// or https:// URL"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return f"{display_url(url)!r} is not an http:// or https:// URL"
    if not parts.hostname:
        return f"{display_url(url)!r} has no host"
    if parts.username or parts.password:
        return "the URL carries a user name or password: put the pool key in token_env instead"
    if parts.query or parts.fragment:
        return f"{display_url(url)!r} has a query or fragment: give the base URL only"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"{display_url(url)!r} has an invalid port"
    return None


def display_url(url: str) -> str:
    """The URL without any user-info, safe to show and log."""
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            host = parts.hostname or ""
            if parts.port:
                host += f":{parts.port}"
            return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    except ValueError:
        pass
    return url
