"""Text fields that take their keys in the order they were typed.

Textual's Input and TextArea insert a printable key at once, but leave their other keys (backspace, the
arrows, delete, enter) to bubble up to the app, which runs the field's binding from there, through the
message queues of every container on the way. A burst typed faster than the console answers was taken
out of order: "abcdef", three backspaces, "ams" gave "abcdef", the backspaces applied after "ams" (found
in tmux with send-keys, where every byte reached the console in order; a plain Textual 8.2.8 app does
the same). A busy console at 5,000 gateways makes such bursts of a fast typist's keys. Here a key bound
by the field itself runs where the printable keys run, in order; every other key goes on as before.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea


async def took_own_binding(field: Widget, event: events.Key) -> bool:
    """Run the field's own (not priority) binding for the key, as the app would have; False if none ran."""
    for binding in field._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await field.app.run_action(binding.action, field):
            event.stop()
            event.prevent_default()
            return True
    return False


# Textual calls the `_on_key` of every class of a widget, the subclass's first, until one prevents the
# default: Input's and TextArea's own run next, unless the field's binding took the key.


class FieldInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        await took_own_binding(self, event)


class FieldTextArea(TextArea):
    async def _on_key(self, event: events.Key) -> None:
        await took_own_binding(self, event)
