"""Invites shaped exactly like real ones (the simulator's encoder, seeded): a short one and a long one."""

import random

from convos_tui.sim.invites import encode_invite, invite_base_url, random_tag


def invite_url(*, long: bool = False, seed: int = 7, env: str = "dev") -> str:
    """A short invite (~280 characters), or a long one whose slug is over 300 characters with `*` separators."""
    rng = random.Random(seed)
    extra = {}
    if long:
        extra = {
            "name": "Booth demo, hall 3",
            "description": "Ask the agent anything about the fleet console; it answers in the conversation.",
            "image_url": "https://example.com/images/booth-avatar-large.png",
        }
    slug = encode_invite(
        conversation_id=f"{rng.getrandbits(128):032x}",
        creator_inbox_id=rng.randbytes(32).hex(),
        tag=random_tag(rng),
        rng=rng,
        **extra,
    )
    assert ("*" in slug) == long
    return f"{invite_base_url(env)}?i={slug}"


SHORT = invite_url()
LONG = invite_url(long=True)
