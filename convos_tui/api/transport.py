"""What both HTTP stacks share (httpx in the client, httptools in the poller): the User-Agent and why a
connection failed in words. Here, so that the poller needs neither httpx nor the client to say it."""

from __future__ import annotations

import socket
import ssl

from convos_tui import __version__
from convos_tui.api import interpret

USER_AGENT = f"convos-tui/{__version__}"
# Every request asks for `Accept-Encoding: identity`; an answer compressed anyway is refused, in these words.
COMPRESSED = "the answer is compressed although it was asked not to be"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from (httpx wraps the OS error twice or more)."""
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen and len(seen) < 10:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


def connection_reason(exc: BaseException, *, protocol_errors: tuple[type[BaseException], ...] = ()) -> str:
    """Why a connection failed, in words a person can act on. `protocol_errors`: the HTTP stack's own
    exceptions for a gateway that broke the protocol (httpx's, or the poller's parser's)."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "certificate verify failed" in text:
        return "TLS certificate not trusted (set tls_verify = false for this gateway only if you trust it)"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "TLS handshake failed (is it really https on that port?)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text:
        return "connection refused (nothing listens on that port)"
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service not known" in text:
        return "host not found (DNS)"
    if any(isinstance(e, ConnectionResetError) for e in chain) or "reset" in text:
        return "connection reset by the gateway"
    if any(isinstance(e, protocol_errors) for e in chain) or "disconnected" in text:
        return "the gateway closed the connection or broke the HTTP protocol"
    if any(isinstance(e, OSError) and e.errno is not None for e in chain):
        os_error = next(e for e in chain if isinstance(e, OSError) and e.errno is not None)
        return interpret.one_line(os_error.strerror or str(os_error), 120)
    return interpret.one_line(str(exc) or type(exc).__name__, 120)
