"""The sizes and themes every screen is pinned at, and the way a snapshot test gets to a screen."""

SIZES = {"wide": (120, 40), "narrow": (80, 24)}
THEMES = ["textual-dark", "textual-light"]


def on(name, *keys):
    """Put the cursor on gateway `name`, then press `keys` (a snapshot's run_before)."""

    async def run_before(pilot):
        pilot.app.main_screen.table.move_to(name)
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()

    return run_before
