"""What the screens ask of the console: they post these, and the app (ui/app.py) opens the screen or acts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from convos_tui.fleet.actions import ActionResult


@dataclass
class OpenDetail(Message):
    gateway: str


@dataclass
class OpenEvents(Message):
    pass


@dataclass
class OpenInvite(Message):
    """The invite panel of a gateway: the invite a create just returned, else the stored one."""

    gateway: str
    invite_url: str | None = None
    conversation_id: str | None = None


@dataclass
class OpenGallery(Message):
    """The invites a provisioning run made, with their QR codes."""

    results: Sequence[ActionResult]


@dataclass
class OpenPresentation(Message):
    """Presentation mode, starting from this gateway's invite if it has one."""

    gateway: str | None


@dataclass
class JumpTo(Message):
    """Back to the fleet table, the cursor on this gateway."""

    gateway: str


@dataclass
class SetInterval(Message):
    """Poll every `seconds`."""

    seconds: float
