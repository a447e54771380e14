"""Who may read what a convos-tui server serves (`/metrics`, the console in a browser), and where it may listen.

Loopback is the default everywhere; another address must be asked for. Credentials come from the environment,
never the command line (which `ps` shows): a bearer token, or basic auth as `user:password`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import os
from dataclasses import dataclass, field

LOOPBACK_NAMES = ("localhost",)


class AddressError(ValueError):
    """An address to listen on that cannot be used: the message says what to write instead."""


def parse_address(text: str, *, default_port: int) -> tuple[str, int]:
    """`127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`, `localhost:9464`, or a port alone (on 127.0.0.1)."""
    text = text.strip()
    if text.isdigit():
        host, port_text = "127.0.0.1", text
    elif text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") or str(default_port)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif ":" not in text and text:
        host, port_text = text, str(default_port)
    else:
        raise AddressError(f"{text!r} is not an address to listen on: write HOST:PORT, e.g. 127.0.0.1:{default_port}")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise AddressError(f"{text!r} has no valid port: write HOST:PORT, e.g. 127.0.0.1:{default_port}")
    if not host:
        raise AddressError(f"{text!r} names no host: write 127.0.0.1:{port_text} (or 0.0.0.0:{port_text} with care)")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may resolve to anything


def listen_on(text: str, *, default_port: int, bind_any: bool, flag: str) -> tuple[str, int, str | None]:
    """The (host, port) to listen on, and a warning when it is not loopback (which `flag` must allow)."""
    host, port = parse_address(text, default_port=default_port)
    if is_loopback(host):
        return host, port, None
    if not bind_any:
        raise AddressError(
            f"{host} is not a loopback address: anyone who can reach it could read this server. "
            f"Add {flag} to listen there anyway, or use 127.0.0.1:{port}"
        )
    return host, port, f"listening on {host}:{port}, reachable beyond this machine"


@dataclass(frozen=True)
class Credentials:
    """What a request must carry. Empty: anyone who can reach the address may read."""

    token: str | None = field(default=None, repr=False)
    basic: str | None = field(default=None, repr=False)  # "user:password"

    @classmethod
    def from_env(cls, prefix: str) -> Credentials:
        """`{prefix}_TOKEN` (a bearer token) and `{prefix}_BASIC` (`user:password`); either, both or none."""
        token = os.environ.get(f"{prefix}_TOKEN") or None
        basic = os.environ.get(f"{prefix}_BASIC") or None
        if basic is not None and ":" not in basic:
            raise ValueError(f"${prefix}_BASIC should be user:password (it has no colon)")
        return cls(token, basic)

    @property
    def required(self) -> bool:
        return self.token is not None or self.basic is not None

    def secrets(self) -> list[str]:
        """What the redaction must know of (the password alone too: a log line could carry it)."""
        found = [s for s in (self.token, self.basic) if s]
        if self.basic:
            found.append(self.basic.partition(":")[2])
        return found

    def allows(self, authorization: str | None, *, token: str | None = None) -> bool:
        """True for a request with the right `Authorization` header (Bearer or Basic), or the right `token`
        (a query parameter or cookie, for a browser); always True when nothing is required."""
        if not self.required:
            return True
        if self.token is not None and token is not None and _same(token, self.token):
            return True
        scheme, _, value = (authorization or "").partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.token is not None:
            return _same(value, self.token)
        if scheme.lower() == "basic" and self.basic is not None:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return _same(decoded, self.basic)
        return False

    def challenge(self) -> str:
        """The WWW-Authenticate header of a refusal."""
        return 'Basic realm="convos-tui"' if self.basic is not None else 'Bearer realm="convos-tui"'


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
