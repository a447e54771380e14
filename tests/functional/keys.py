"""Keys as a fast typist or a paste sends them, for console tests."""

from textual import events
from textual.app import _character_to_key  # the names Pilot gives single characters


async def burst(pilot, *keys: str) -> None:
    """Keys as a fast typist or a paste sends them: all handed to the app at once, with no pause between them
    (Pilot's `press` waits for the app to go idle after each key, which hides any race), then wait."""
    app = pilot.app
    named = {"space": " ", "slash": "/", "asterisk": "*", "enter": "\r"}
    for key in keys:
        if len(key) == 1:
            key, char = (key if key.isalnum() else _character_to_key(key)), key
        else:
            char = named.get(key)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    await pilot.pause()
