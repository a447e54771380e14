"""The layer rule of DESIGN.md: nothing below the UI imports Textual."""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "convos_tui"
HEADLESS_LAYERS = ("api", "fleet", "sim")
HEADLESS_MODULES = ("qr.py", "clipboard.py", "export.py")  # pure modules beside the layers, shared by the UI and the CLI


def headless_modules():
    for layer in HEADLESS_LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield path
    for name in HEADLESS_MODULES:
        yield PACKAGE / name


def test_no_headless_source_names_textual():
    offenders = []
    for path in headless_modules():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} imports {n}" for n in names if n.split(".")[0] == "textual"]
    assert not offenders, offenders


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
