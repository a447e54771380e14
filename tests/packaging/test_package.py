"""The package works when installed, not only from a checkout: what a packager builds is what runs.

One chain, as a packager would go: the sdist from a copy of the tree, the wheel from that sdist alone, the
wheel into a fresh venv, and the console run from there headless (`convos-tui demo --screenshots`).

No network: the builds use this environment's setuptools (no build isolation), pip installs the wheel with
--no-index --no-deps, and the distributions the wheel declares it needs (and theirs, and nothing else) are
copied in from this environment, as installed. A module the package imports but does not declare is missing
there, and the demo fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = {
    "main.svg",
    "filtered.svg",
    "detail.svg",
    "action-panel.svg",
    "qr-panel.svg",
    "presentation.svg",
    "pools.svg",
}


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 180):
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


def _tree_copy(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def _declared_closure(wheel: Path) -> list[metadata.Distribution]:
    """The installed distributions that the wheel's Requires-Dist names, and theirs (extras followed)."""
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = Parser().parsestr(archive.read(name).decode()).get_all("Requires-Dist") or []
    found: dict[str, metadata.Distribution] = {}
    todo = [(Requirement(text), "") for text in requires]
    done: set[tuple[str, str]] = set()
    while todo:
        requirement, extra = todo.pop()
        if (str(requirement), extra) in done:
            continue
        done.add((str(requirement), extra))
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        dist = metadata.distribution(requirement.name)
        assert requirement.specifier.contains(dist.version, prereleases=True), (str(requirement), dist.version)
        found[dist.metadata["Name"].lower()] = dist
        todo += [(Requirement(text), e) for text in dist.requires or [] for e in ("", *requirement.extras)]
    return list(found.values())


def _copy_installed(dist: metadata.Distribution, site: Path) -> None:
    for file in dist.files or []:
        if ".." in file.parts:  # scripts in bin/: not needed to import the distribution
            continue
        target = site / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(str(dist.locate_file(file))), target)


def test_every_package_is_listed_for_setuptools():
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "convos_tui").rglob("__init__.py")} | {
        "convos_tui.styles"
    }
    assert sorted(listed) == sorted(found), "list every package in [tool.setuptools] packages of pyproject.toml"


def test_python_m_runs_the_program_and_importing_it_runs_nothing():
    assert _run(sys.executable, "-m", "convos_tui", "--version").stdout.startswith("convos-tui, version ")
    imported = _run(sys.executable, "-c", "import convos_tui.__main__", cwd=ROOT)
    assert imported.stdout == imported.stderr == ""


def test_sdist_to_wheel_to_a_fresh_venv_runs_the_console(tmp_path):
    source = _tree_copy(tmp_path / "src")
    # The sdist: what a packager downloads. It must hold the code, its data, the styles and the tests.
    name = _run(
        sys.executable,
        "-c",
        "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
        tmp_path / "dist",
        cwd=source,
    ).stdout.split()[-1]
    with tarfile.open(tmp_path / "dist" / name) as sdist:
        members = {member.split("/", 1)[1] for member in sdist.getnames() if "/" in member}
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python 3.11.4 and later
        sdist.extractall(tmp_path / "unpacked", **safe)
    assert {
        "pyproject.toml",
        "README.md",
        "convos_tui/cli.py",
        "convos_tui/fleet/starter.toml",
        "styles/app.tcss",
        "styles/qr.tcss",
        "tests/packaging/test_package.py",
        "tests/fleet/corpus/crlf.toml",
    } <= members
    assert not [m for m in members if "__pycache__" in m or m.startswith((".venv", ".git/"))]

    # The wheel, built from the unpacked sdist alone (not the checkout).
    unpacked = tmp_path / "unpacked" / name.removesuffix(".tar.gz")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        tmp_path / "wheels",
        unpacked,
    )
    [wheel] = (tmp_path / "wheels").glob("convos_tui-*.whl")
    files = set(zipfile.ZipFile(wheel).namelist())
    assert {"convos_tui/styles/app.tcss", "convos_tui/styles/qr.tcss", "convos_tui/fleet/starter.toml"} <= files
    assert not [f for f in files if f.startswith(("tests/", "styles/"))]

    # A fresh venv with nothing but the wheel and the dependencies it declares.
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps", "-q", wheel)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    for dist in _declared_closure(wheel):
        _copy_installed(dist, site)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CONVOS_TUI", "XDG_"))}
    env |= {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")}
    where = _run(
        python, "-c", "import convos_tui.ui.app as app; print(app.__file__); print(app.STYLES)", cwd=tmp_path, env=env
    ).stdout.split()
    assert all(Path(path).is_relative_to(venv) for path in where), where

    shots = tmp_path / "shots"
    _run(venv / "bin" / "convos-tui", "demo", "--screenshots", shots, cwd=tmp_path, env=env, timeout=120)
    assert {path.name for path in shots.iterdir()} == SCREENSHOTS
    assert "sin-booth-01" in (shots / "main.svg").read_text()
