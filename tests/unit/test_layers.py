"""The layer rule of DESIGN.md: nothing below the UI imports Textual, and the UI does not import the simulator
(the simulator sits beside the console, not below it: the demo is composed in `commands/demo.py`)."""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "convos_tui"
HEADLESS_LAYERS = ("api", "fleet", "sim", "instances", "metrics")
HEADLESS_MODULES = (
    "qr.py",
    "clipboard.py",
    "export.py",
    "loop_thread.py",
)  # pure modules beside the layers, shared by the UI and the CLI


def headless_modules():
    for layer in HEADLESS_LAYERS:
        yield from sorted((PACKAGE / layer).rglob("*.py"))
    for name in HEADLESS_MODULES:
        yield PACKAGE / name


def imports(paths, forbidden):
    """`file:line imports module` for every import (at any depth: deferred ones too) of a module under `forbidden`."""
    offenders = []
    for path in paths:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(PACKAGE)}:{node.lineno} imports {n}"
                for n in names
                if n == forbidden or n.startswith(forbidden + ".")
            ]
    return offenders


def test_no_headless_source_names_textual():
    assert not imports(headless_modules(), "textual")


def test_the_ui_does_not_import_the_simulator():
    ui = sorted((PACKAGE / "ui").rglob("*.py"))
    assert len(ui) >= 10
    assert not imports(ui, "convos_tui.sim")


def test_importing_the_ui_does_not_load_the_simulator():
    code = (
        "import importlib, pkgutil, sys, convos_tui.ui as ui\n"
        "for m in pkgutil.walk_packages(ui.__path__, 'convos_tui.ui.'): importlib.import_module(m.name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('convos_tui.sim'))\n"
        "print(loaded); sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_headless_layers_does_not_load_textual():
    modules = [
        "convos_tui." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for path in headless_modules()
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(loaded)); sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(modules) >= 5


def test_no_screen_or_widget_imports_the_app():
    """Data down, messages up: a screen gets a Context and posts ui/messages.py; the app is no import of it."""
    parts = sorted((PACKAGE / "ui" / "screens").rglob("*.py")) + sorted((PACKAGE / "ui" / "widgets").rglob("*.py"))
    assert len(parts) >= 10
    assert not imports(parts, "convos_tui.ui.app")
