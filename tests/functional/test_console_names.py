"""The console's bindings are declared once (fleet/console_names.py: KEYS): every screen binds from that list,
the config checks [keymap] against it, and a remapped key shows its new key in `?` help, the footer and the palette."""

import importlib
import inspect
import pkgutil

from textual.screen import Screen
from textual.widgets import Static

import convos_tui.ui.screens as screens
from convos_tui.fleet.console_names import BINDING_IDS, KEYS, THEMES
from convos_tui.ui.app import ConvosApp
from convos_tui.ui.screens.help import HelpScreen
from tests.functional.test_footer import footer_line
from tests.ui_fixtures import make_app


def test_the_config_knows_every_theme_of_the_console():
    assert sorted(make_app().available_themes) == sorted(THEMES)


def binding_owners():
    yield ConvosApp
    for module in pkgutil.iter_modules(screens.__path__, screens.__name__ + "."):
        for _, owner in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(owner, Screen) and owner.__module__ == module.name and "BINDINGS" in vars(owner):
                yield owner


def test_every_binding_of_every_screen_is_one_of_the_list():
    declared = {key.id: key for key in KEYS}
    bound = set()
    owners = list(binding_owners())
    assert len(owners) >= 9  # the app, main, detail, events, panel, gallery, qr, presentation, help
    for owner in owners:
        for binding in vars(owner)["BINDINGS"]:
            assert binding.id in declared, f"{owner.__name__}: {binding.key} → {binding.action} is not in KEYS"
            key = declared[binding.id]
            assert (binding.key, binding.action, binding.description) == (key.keys, key.action, key.description)
            bound.add(binding.id)
    assert bound == set(BINDING_IDS), "an id of KEYS that no screen binds"
    assert len(BINDING_IDS) == len(KEYS)  # one id, one binding


async def test_a_remapped_key_shows_its_new_key_in_help_footer_and_palette():
    app = make_app(keymap={"faults-only": "F", "help-close": "x"})
    async with app.run_test(size=(160, 40)) as pilot:
        assert not app._notifications  # both ids are known: none is reported or dropped
        assert "F Faults" in footer_line(app) and "f Faults" not in footer_line(app)
        palette = {command.title: command.help for command in app.get_system_commands(app.main_screen)}
        assert palette["Faults only (toggle)"] == "F"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_lines = app.screen.query_one(Static).render().plain.splitlines()
        assert any(line.split() == ["F", "Faults", "faults-only"] for line in help_lines)
        await pilot.press("x")  # help-close, remapped
        assert app.screen is app.main_screen
        await pilot.press("F")
        assert app.main_screen.faults_only
