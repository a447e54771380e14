"""The gateway API layer: endpoint, client, typed answers, errors and invites. Never imports Textual.

Its names are imported on first use (convos_tui/lazy.py): the poller and the config need the answer
interpretation, not the httpx client.
"""

from typing import TYPE_CHECKING

from convos_tui.lazy import lazy_exports

if TYPE_CHECKING:
    from convos_tui.api.client import GatewayClient
    from convos_tui.api.endpoint import Endpoint, Route, Timeouts
    from convos_tui.api.errors import ErrorKind, GatewayError
    from convos_tui.api.invites import Invite, InviteError, parse_invite
    from convos_tui.api.models import (
        CreatedConversation,
        GatewayStatus,
        JoinResult,
        LockResult,
        SendResult,
        SetupStatus,
    )

_EXPORTS = {
    "GatewayClient": ".client",
    **dict.fromkeys(("Endpoint", "Route", "Timeouts"), ".endpoint"),
    **dict.fromkeys(("ErrorKind", "GatewayError"), ".errors"),
    **dict.fromkeys(("Invite", "InviteError", "parse_invite"), ".invites"),
    **dict.fromkeys(
        ("CreatedConversation", "GatewayStatus", "JoinResult", "LockResult", "SendResult", "SetupStatus"), ".models"
    ),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "CreatedConversation",
    "Endpoint",
    "ErrorKind",
    "GatewayClient",
    "GatewayError",
    "GatewayStatus",
    "Invite",
    "InviteError",
    "JoinResult",
    "LockResult",
    "Route",
    "SendResult",
    "SetupStatus",
    "Timeouts",
    "parse_invite",
]
