"""Gateways from a text file of URLs: comments, names, bad lines, clashes with the static config."""

import pathlib

from convos_tui.fleet.discovery import discover, name_from_url, read_url_file
from convos_tui.fleet.inventory import parse_inventory


def write_config(tmp_path, extra=""):
    (tmp_path / "gateways.txt").write_text(
        "# lab gateways\n"
        "http://127.0.0.1:18801\n"
        "\n"
        "lab-2 http://127.0.0.1:18802   # named\n"
        "ftp://127.0.0.1:1\n"
        "a b c\n"
        "http://127.0.0.1:18803/prefix\n"
        "http://127.0.0.1:18809\n"
    )
    text = (
        '[[gateways]]\nname = "static"\nurl = "http://127.0.0.1:18809"\n'
        '[[gateways]]\nname = "lab-2"\nurl = "http://127.0.0.1:18888"\n'
        f'[[sources]]\ntype = "file"\npath = "gateways.txt"\nenv = "dev"\ntags = ["lab"]\n{extra}'
    )
    path = tmp_path / "config.toml"
    path.write_text(text)
    return parse_inventory(text, path, environ={})


def test_names_from_urls():
    assert name_from_url("http://127.0.0.5:18789") == "127.0.0.5:18789"
    assert name_from_url("https://proxy.example/gw/7/") == "proxy.example/gw/7"


def test_read_url_file_lines_and_problems(tmp_path):
    inventory = write_config(tmp_path)
    found = read_url_file(inventory.sources[0])
    assert [(g.name, g.url, g.env, g.tags) for g in found.gateways] == [
        ("127.0.0.1:18801", "http://127.0.0.1:18801", "dev", ("lab",)),
        ("lab-2", "http://127.0.0.1:18802", "dev", ("lab",)),
        ("127.0.0.1:18803/prefix", "http://127.0.0.1:18803/prefix", "dev", ("lab",)),
        ("127.0.0.1:18809", "http://127.0.0.1:18809", "dev", ("lab",)),
    ]
    path = tmp_path / "gateways.txt"
    assert found.problems == [
        f"{path}:5: 'ftp://127.0.0.1:1' is not an http:// or https:// URL",
        f"{path}:6: expected `URL` or `NAME URL`, found 3 words",
    ]


async def test_static_gateways_win_clashes(tmp_path):
    inventory = write_config(tmp_path)
    found = await discover(inventory)
    assert [g.name for g in found.gateways] == ["127.0.0.1:18801", "127.0.0.1:18803/prefix"]
    assert any("'lab-2'" in p and "clashes" in p for p in found.problems)
    assert all(g.origin == f"file {tmp_path / 'gateways.txt'}" for g in found.gateways)


async def test_an_unreadable_source_is_a_problem_not_a_crash(tmp_path):
    inventory = write_config(tmp_path, '[[sources]]\ntype = "file"\npath = "missing.txt"\n')
    found = await discover(inventory)
    assert any("missing.txt: cannot read it" in p for p in found.problems)
    assert found.gateways  # the first source still counts


def test_relative_paths_are_relative_to_the_config(tmp_path):
    inventory = write_config(tmp_path)
    assert inventory.sources[0].path == pathlib.Path(tmp_path / "gateways.txt")
