"""The simulated XMTP network that the gateways of one fleet share.

It knows every conversation created in the fleet by the tags of its invites, so that an invite created on
gateway A can be joined from gateway B, a lock makes older invites stop working, and an explode makes them
fail. Whether a join is accepted depends on the creator's side, as with the real CLI: the creator's
`process-join-requests` child must be alive to add the joiner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from .invites import encode_invite, invite_base_url, random_tag

__all__ = ["Conversation", "JoinVerdict", "SimNetwork"]


class _Creator(Protocol):
    name: str

    def accepts_joins(self, conversation_id: str) -> bool: ...

    def join_accepted(self, conversation_id: str, joiner_inbox_id: str) -> None: ...


@dataclass
class Conversation:
    """One XMTP group as the network sees it."""

    conversation_id: str
    env: str
    creator: str  # name of the gateway whose identity created it (super admin)
    creator_inbox_id: str
    name: str | None
    description: str | None
    image_url: str | None
    tag: str  # the current invite tag; a lock or unlock replaces it
    locked: bool = False
    exploded: bool = False
    require_approval: bool = False  # the creator does not auto-accept join requests
    setup: bool = False  # created by the Control-UI onboarding flow (its instance auto-accepts)
    members: list[str] = field(default_factory=list)  # gateway names other than the creator
    pending: list[str] = field(default_factory=list)  # joiners waiting for an approval


class JoinVerdict:
    """What the creator's side does with a join request."""

    JOINED = "joined"
    WAITING = "waiting"  # nobody accepts: the CLI waits its whole --timeout, then reports a timeout


class SimNetwork:
    def __init__(self) -> None:
        self._by_id: dict[str, Conversation] = {}
        self._by_tag: dict[str, Conversation] = {}  # every tag ever issued, so rotated tags are still known
        self._creators: dict[str, _Creator] = {}

    def register(self, gateway: _Creator) -> None:
        self._creators[gateway.name] = gateway

    def conversation(self, conversation_id: str) -> Conversation | None:
        return self._by_id.get(conversation_id)

    def by_tag(self, tag: str) -> Conversation | None:
        return self._by_tag.get(tag)

    @property
    def conversations(self) -> list[Conversation]:
        return list(self._by_id.values())

    def create(
        self,
        *,
        creator: str,
        creator_inbox_id: str,
        env: str,
        rng: random.Random,
        conversation_id: str | None = None,
        name: str | None = None,
        description: str | None = None,
        image_url: str | None = None,
        require_approval: bool = False,
        setup: bool = False,
    ) -> Conversation:
        conversation_id = conversation_id or f"{rng.getrandbits(128):032x}"
        tag = self._fresh_tag(rng)
        conv = Conversation(
            conversation_id=conversation_id,
            env=env,
            creator=creator,
            creator_inbox_id=creator_inbox_id,
            name=name,
            description=description,
            image_url=image_url,
            tag=tag,
            require_approval=require_approval,
            setup=setup,
        )
        self._by_id[conversation_id] = conv
        self._by_tag[tag] = conv
        return conv

    def invite(self, conv: Conversation, rng: random.Random) -> tuple[str, str]:
        """(slug, url) of an invite carrying the conversation's current tag."""
        slug = encode_invite(
            conversation_id=conv.conversation_id,
            creator_inbox_id=conv.creator_inbox_id,
            tag=conv.tag,
            rng=rng,
            name=conv.name,
            description=conv.description,
            image_url=conv.image_url,
        )
        return slug, f"{invite_base_url(conv.env)}?i={slug}"

    def rotate_tag(self, conv: Conversation, rng: random.Random, *, locked: bool) -> None:
        """`convos conversation lock` / `--unlock`: a new tag either way, so every earlier invite is void."""
        conv.tag = self._fresh_tag(rng)
        self._by_tag[conv.tag] = conv
        conv.locked = locked

    def explode(self, conv: Conversation) -> None:
        conv.exploded = True
        conv.members.clear()
        conv.pending.clear()

    def complete_join(self, conv: Conversation, joiner: str, joiner_inbox_id: str) -> None:
        """The creator added the joiner: record the member and tell the creator (onboarding watches this)."""
        if joiner in conv.pending:
            conv.pending.remove(joiner)
        if joiner != conv.creator and joiner not in conv.members:
            conv.members.append(joiner)
        creator = self._creators.get(conv.creator)
        if creator is not None:
            creator.join_accepted(conv.conversation_id, joiner_inbox_id)

    def decide_join(self, conv: Conversation, tag: str, joiner_env: str) -> str:
        """Whether the creator's client will add a joiner who used an invite with `tag`."""
        if tag != conv.tag or conv.locked or conv.require_approval or conv.env != joiner_env:
            # A rotated tag no longer verifies, a locked group denies add-member, an approval is manual, and a
            # creator on another XMTP network never sees the request: in every case the joiner just waits.
            return JoinVerdict.WAITING
        creator = self._creators.get(conv.creator)
        if creator is None or not creator.accepts_joins(conv.conversation_id):
            return JoinVerdict.WAITING
        return JoinVerdict.JOINED

    def _fresh_tag(self, rng: random.Random) -> str:
        while True:
            tag = random_tag(rng)
            if tag not in self._by_tag:
                return tag
