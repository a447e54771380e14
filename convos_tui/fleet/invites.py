"""Which invite belongs to a gateway's conversation, and whether it still works.

A gateway tells its invite once, in the answer to the create; the store keeps it. Nothing here makes
an invite up: for a conversation this console did not create, the answer says so and where the invite
can be found (the store of the console that created it). A lock or unlock rotates the invite, so a
revoked one is returned as revoked, never as usable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from convos_tui.fleet.state import iso_time, short_id
from convos_tui.fleet.store import Store

__all__ = ["StoredInvite", "find_invite"]


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


@dataclass(frozen=True)
class StoredInvite:
    gateway: str
    conversation_id: str | None = None
    name: str | None = None  # the conversation's name, as given to the create
    env: str | None = None
    url: str | None = None
    created_at: float | None = None
    revoked_at: float | None = None
    exploded_at: float | None = None
    problem: str = ""  # why there is no usable invite, and what to do; empty when usable

    @property
    def usable(self) -> bool:
        return bool(self.url) and not self.problem

    def as_dict(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway,
            "conversation_id": self.conversation_id,
            "name": self.name,
            "env": self.env,
            "invite_url": self.url,
            "usable": self.usable,
            "created_at": iso_time(self.created_at),
            "revoked_at": iso_time(self.revoked_at),
            "exploded_at": iso_time(self.exploded_at),
            "problem": self.problem or None,
        }


def find_invite(
    store: Store,
    gateway: str,
    *,
    conversation_id: str | None = None,
    bound_conversation: str | None = None,
    holds_none: bool = False,
    invite_url: str | None = None,
) -> StoredInvite:
    """The invite of `conversation_id` (else of the conversation the gateway is bound to, else of its newest
    conversation that was not exploded). `holds_none`: the gateway's status says it holds no conversation.
    `invite_url` is a create's answer, used as is."""
    records = store.conversations(gateway, limit=50)
    wanted = conversation_id or bound_conversation
    if wanted:
        record = next((r for r in records if r["conversation_id"] == wanted), None)
    else:
        # The newest conversation still alive; else the newest of all, so the answer can say it was exploded.
        record = next((r for r in records if not r["exploded_at"]), records[0] if records else None)

    if invite_url is None:
        # A create newer than the record found was cut off: that is the news, not the older record.
        cut_off = store.unfinished_create(gateway)
        if cut_off is not None and (record is None or (not wanted and cut_off["at"] > record["created_at"])):
            return StoredInvite(gateway, wanted, problem=_cut_off(gateway, wanted, cut_off))
    if record is None:
        if invite_url:
            return StoredInvite(gateway, conversation_id, url=invite_url)
        return StoredInvite(gateway, wanted, problem=_missing(store, gateway, wanted))

    found = StoredInvite(
        gateway,
        record["conversation_id"],
        name=record["name"],
        env=record["env"],
        url=invite_url or record["invite_url"],
        created_at=record["created_at"],
        revoked_at=record["invite_revoked_at"],
        exploded_at=record["exploded_at"],
    )
    short = short_id(found.conversation_id)
    if found.exploded_at:
        problem = (
            f"conversation {short} was exploded on {_when(found.exploded_at)}: its invite is dead. "
            f"Create a new conversation (c in the console, or `convos-tui create {gateway}`)."
        )
    elif found.revoked_at:
        problem = (
            f"this invite no longer works: a lock or unlock on {_when(found.revoked_at)} rotated it, and "
            "the gateway does not give out the new one. A member can share a fresh invite from the Convos "
            "app, or create a new conversation."
        )
    elif holds_none and not invite_url:
        # Joins are accepted by the creator's gateway: one that no longer holds the conversation accepts none.
        problem = (
            f"{gateway} holds no conversation now, so conversation {short} takes no joins through it: "
            f"this invite no longer works. Create a new conversation (c in the console, or "
            f"`convos-tui create {gateway}`)."
        )
    elif not found.url:
        creator = _creator(store, gateway, found.conversation_id)
        problem = f"{gateway} joined conversation {short} with someone else's invite; it holds none of its own. " + (
            _on_creator(creator)
            if creator
            else "The conversation's creator has it (`convos-tui invite "
            "GATEWAY` on the machine whose console created it), or a member can share one from the Convos app."
        )
    else:
        problem = ""
    return replace(found, problem=problem)


def _cut_off(gateway: str, conversation_id: str | None, create: dict[str, Any]) -> str:
    """The newest create on the gateway has an unknown outcome: its run died (or timed out) before the answer."""
    how = "created by a run that did not finish" if create["cut_off"] else "created by a create whose answer never came"
    if conversation_id:
        return (
            f"{gateway} holds conversation {short_id(conversation_id)}: {how} (the create of "
            f"{_when(create['at'])}); its invite was never received, and a gateway never tells an invite "
            "again. Explode it and create anew, or ask a member to share one from the Convos app."
        )
    if create["checked_at"]:
        return f"the newest create on {gateway} did not finish: {create['detail']}."
    cause = "was cut off before its answer was stored" if create["cut_off"] else "got no answer"
    return (
        f"the newest create on {gateway} ({_when(create['at'])}) {cause}: its outcome is unknown, and if it "
        f"created a conversation its invite was never received. "
        f"`convos-tui status --filter name:{gateway}` shows what the gateway holds now."
    )


def _creator(store: Store, gateway: str, conversation_id: str | None) -> str | None:
    """The other gateway whose create, from this console, made the conversation (its invite is here)."""
    if not conversation_id:
        return None
    return next(
        (
            r["gateway"]
            for r in store.conversations(limit=500)
            if r["conversation_id"] == conversation_id and r["gateway"] != gateway and r["invite_url"]
        ),
        None,
    )


def _on_creator(creator: str) -> str:
    return (
        f"Its invite is in this console, on {creator}: select {creator} and press i (or `convos-tui invite {creator}`)."
    )


def _missing(store: Store, gateway: str, conversation_id: str | None) -> str:
    creator = _creator(store, gateway, conversation_id)
    if creator:
        return f"{gateway} holds conversation {short_id(conversation_id)}, created on {creator}. " + _on_creator(
            creator
        )
    if conversation_id:
        return (
            f"{gateway} holds conversation {short_id(conversation_id)}, which was not created from this "
            "console, and a gateway never tells an invite again. The invite is in the store of the console "
            f"that created it: run `convos-tui invite {gateway}` on that machine, or ask a member to share "
            "one from the Convos app."
        )
    return (
        f"no invite stored for {gateway}: no conversation was created on it from this machine. Create one "
        f"(c in the console, or `convos-tui create {gateway}`); if it was created elsewhere, run "
        f"`convos-tui invite {gateway}` on that machine."
    )
