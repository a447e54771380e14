"""The gateway API layer: endpoint, client, typed answers, errors and invites. Never imports Textual."""

from convos_tui.api.client import GatewayClient
from convos_tui.api.endpoint import Endpoint, Route, Timeouts
from convos_tui.api.errors import ErrorKind, GatewayError
from convos_tui.api.invites import Invite, InviteError, parse_invite
from convos_tui.api.models import CreatedConversation, GatewayStatus, JoinResult, LockResult, SendResult, SetupStatus

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
