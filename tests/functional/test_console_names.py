"""The themes and binding ids the config checks against are the console's own (fleet/console_names.py)."""

from convos_tui.fleet.console_names import BINDING_IDS, THEMES
from tests.ui_fixtures import make_app


def test_the_config_knows_every_theme_and_binding_id_of_the_console():
    app = make_app()
    assert sorted(app.available_themes) == sorted(THEMES)
    assert sorted(app.binding_ids()) == sorted(BINDING_IDS), (
        "a binding id was added or removed: update convos_tui/fleet/console_names.py so that "
        "`config check` knows it"
    )
