"""Every config error names the file, the line, what is wrong and how to fix it."""

import os
import pathlib

import pytest

from convos_tui.fleet.inventory import ConfigError, load_inventory, parse_duration, parse_inventory

PATH = pathlib.Path("/etc/fleet/config.toml")
GOOD = '[[gateways]]\nname = "a"\nurl = "http://127.0.0.1:1"\n'


def problems(text, environ=None):
    with pytest.raises(ConfigError) as caught:
        parse_inventory(text, PATH, environ=environ or {})
    return [p.render(PATH) for p in caught.value.problems]


def only(text, environ=None):
    found = problems(text, environ)
    assert len(found) == 1, found
    return found[0]


def test_syntax_error_names_line_and_column():
    message = only('refresh = "5s"\n[[gateways]\nname = "a"\n')
    assert message.startswith(f"{PATH}:2: TOML syntax error")
    assert "column" in message and "nothing was loaded" in message


def test_unknown_top_level_key_suggests_the_nearest():
    assert only('refesh = "5s"\n') == f"{PATH}:1: unknown key 'refesh' in the config. Did you mean 'refresh'?"


def test_unknown_gateway_key_suggests_the_nearest():
    message = only(GOOD + 'tagz = ["x"]\n')
    assert message == f"{PATH}:4: unknown key 'tagz' in gateway 'a'. Did you mean 'tags'?"


def test_unknown_key_far_from_any_lists_the_valid_ones():
    message = only(GOOD + "colour = 1\n")
    assert message.startswith(f"{PATH}:4: unknown key 'colour'") and "Valid keys: name, url, env" in message


def test_bad_url_names_its_line_and_an_example():
    message = only('[[gateways]]\nname = "a"\nurl = "htp://x"\n')
    assert message.startswith(f"{PATH}:3: gateway 'a': 'htp://x' is not an http:// or https:// URL")
    assert 'url = "http://127.0.0.1:18789"' in message


def test_missing_url_points_at_the_gateway():
    message = only('\n[[gateways]]\nname = "a"\n')
    assert message.startswith(f"{PATH}:2: gateway 'a': the URL is missing")


def test_duplicate_name_names_both_lines():
    text = GOOD + '\n[[gateways]]\nname = "A"\nurl = "http://127.0.0.1:2"\n'
    assert only(text) == f"{PATH}:6: duplicate gateway name 'A' (first on line 2). Give each gateway its own name"


def test_missing_token_variable_is_a_warning_that_says_how_to_set_it():
    # One rule for every command: the file is right, the environment lacks a key. The gateway is polled
    # without it (and shows unauthorized if it wants one); nothing refuses to start over it.
    inventory = parse_inventory(GOOD + 'token_env = "GW_A_KEY"\n', PATH, environ={})
    [message] = [w.render(PATH) for w in inventory.warnings]
    assert message.startswith(f"{PATH}:4: warning: gateway 'a' reads its key from $GW_A_KEY, which is not set")
    assert "export GW_A_KEY=" in message
    assert inventory.gateways[0].token is None and inventory.gateways[0].token_env == "GW_A_KEY"


def test_token_variable_that_is_set_is_used_and_never_shown():
    inventory = parse_inventory(GOOD + 'token_env = "GW_A_KEY"\n', PATH, environ={"GW_A_KEY": "s3cret"})
    gateway = inventory.gateways[0]
    assert gateway.token == "s3cret" and gateway.endpoint().token == "s3cret"
    assert "s3cret" not in repr(inventory)


@pytest.mark.parametrize("value", ['"3 seconds"', '"-1s"', '"0s"', "true", '"2d"', '""'])
def test_bad_durations_say_how_to_write_one(value):
    message = only(f"refresh = {value}\n")
    assert message.startswith(f"{PATH}:1: the refresh:")
    assert '"500ms", "3s", "2m"' in message


@pytest.mark.parametrize(
    ("text", "seconds"), [("3", 3), ("2.5", 2.5), ('"500ms"', 0.5), ('"2m"', 120), ('"1m30s"', 90), ('"1h"', 3600)]
)
def test_good_durations(text, seconds):
    import tomllib

    assert parse_duration(tomllib.loads(f"v = {text}")["v"]) == seconds


def test_bad_gateway_timeout_names_the_nested_line():
    message = only(GOOD + '[gateways.timeouts]\nstatus = "fast"\n')
    assert message.startswith(f"{PATH}:5: gateway 'a' timeout status: 'fast' is not a duration")


def test_bad_env_lists_the_choices():
    message = only(GOOD + 'env = "staging"\n')
    assert (
        message
        == f"{PATH}:4: gateway 'a' env 'staging' is not one of dev, production. Set env to one of: dev, production"
    )


def test_profile_with_an_unknown_gateway():
    message = only(GOOD + '\n[profiles.eu]\ngateways = ["b"]\n')
    assert message.startswith(f"{PATH}:6: profile 'eu' names gateway 'b', which is not in the config")


def test_all_problems_are_reported_at_once():
    text = 'refesh = 1\n[[gateways]]\nname = "a"\nurl = "ftp://x"\nenv = "moon"\n'
    assert [m.split(":")[1] for m in problems(text)] == ["1", "4", "5"]


def test_inline_token_in_a_readable_file_warns_how_to_fix(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(GOOD + 'token = "inline-secret"\n')
    os.chmod(path, 0o644)
    inventory = load_inventory(path, environ={})
    [warning] = inventory.warnings
    message = warning.render(path)
    assert "warning: holds inline tokens and other users can read it (mode 644)" in message
    assert f"chmod 600 {path}" in message and "inline-secret" not in message
    os.chmod(path, 0o600)
    assert load_inventory(path, environ={}).warnings == ()


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'refresh = "5s"\nnote = "caf\xe9"\n')
    with pytest.raises(ConfigError) as caught:
        load_inventory(path, environ={})
    assert caught.value.problems[0].render(path) == f"{path}:2: not valid UTF-8. Save the file as UTF-8"


def test_a_missing_default_config_is_an_empty_fleet_but_an_explicit_one_is_an_error(tmp_path):
    assert load_inventory(tmp_path / "none.toml", environ={}).exists is False
    with pytest.raises(ConfigError, match="config init"):
        load_inventory(tmp_path / "none.toml", environ={}, required=True)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('name = "gw-1\\n"', "name 'gw-1\\n' is not a valid name"),
        ('tags = ["eu\\n"]', "tag 'eu\\n' is not a valid tag"),
        ('token_env = "GW_KEY\\n"', "token_env 'GW_KEY\\n' is not an environment variable name"),
    ],
)
def test_a_final_newline_does_not_pass_for_a_valid_name(entry, words):
    # `$` matches before a final newline: "gw-1\n" would split the rows of `status` and `--csv`.
    text = '[[gateways]]\nurl = "http://127.0.0.1:1"\n' + entry + "\n"
    if not entry.startswith("name"):
        text += 'name = "a"\n'
    assert words in only(text)


HOSTILE = "\u001b]52;c;cHduZWQ=\u0007\u001b[2J\u001b[31mRED \u202eRTL"  # issue 12: OSC 52, clear, colour, RTL


ESCAPED = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in HOSTILE)  # as TOML escapes


def raw_controls(text):
    """The characters of `text` that the neutraliser (the one gateway answers go through) would change."""
    from convos_tui.api.interpret import clean_text

    return [ch for ch in text if clean_text(ch) != ch]


def test_a_note_reaches_the_program_neutralised_with_a_warning():
    # Cleaned where the config is read, the one place every string of it comes in: the detail view, the
    # exports, `config list` and every message after it get clean text without each having to remember.
    inventory = parse_inventory(GOOD + f'note = "{ESCAPED}"\n', PATH, environ={})
    note = inventory.gateways[0].note
    assert "\x1b" not in note and "\x07" not in note and not raw_controls(note)
    assert "RED" in note and note.endswith("RTL")  # the text itself is kept
    [warning] = [w.render(PATH) for w in inventory.warnings]
    assert warning.startswith(f"{PATH}:4: warning: note holds control characters")
    assert not raw_controls(warning)


@pytest.mark.parametrize(
    "text",
    [
        f'[[gateways]]\nname = "a{ESCAPED}"\nurl = "http://127.0.0.1:1"\n',
        f'[[gateways]]\nname = "a"\nurl = "http://127.0.0.1:1/{ESCAPED}"\n',
        GOOD + f'tags = ["eu{ESCAPED}"]\n',
        GOOD + f'env = "dev{ESCAPED}"\n',
        GOOD + f'token_env = "K{ESCAPED}"\n',
        GOOD + f'"x{ESCAPED}" = 1\n',
        f'theme = "{ESCAPED}"\n' + GOOD,
        f'clipboard = "{ESCAPED}"\n' + GOOD,
        f'[keymap]\npoll-now = "r,{ESCAPED}"\n' + GOOD,
        f'[keymap]\n"poll{ESCAPED}" = "r"\n' + GOOD,
        GOOD + f'[profiles."eu{ESCAPED}"]\ngateways = ["a"]\n',
        GOOD + f'[profiles.eu]\ngateways = ["a{ESCAPED}"]\n',
        GOOD + f'[[sources]]\ntype = "file"\npath = "gw{ESCAPED}.txt"\n',
        GOOD + f'[[sources]]\ntype = "pool"\nurl = "http://127.0.0.1:2/{ESCAPED}"\n',
    ],
    ids=[
        "name",
        "url",
        "tag",
        "env",
        "token_env",
        "key",
        "theme",
        "clipboard",
        "keymap-keys",
        "keymap-id",
        "profile-name",
        "profile-member",
        "source-path",
        "source-url",
    ],
)
def test_control_characters_anywhere_else_are_refused_and_never_echoed(text):
    found = problems(text)
    assert any("holds control characters" in message for message in found), found
    assert not [message for message in found if raw_controls(message)], found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'theme = "textual-drak"\n' + GOOD,
            f"{PATH}:1: theme 'textual-drak' is not a theme of the console. Did you mean 'textual-dark'?",
        ),
        (
            '[keymap]\npol-now = "r"\n' + GOOD,
            f"{PATH}:2: keymap 'pol-now' is not a binding id of the console. Did you mean 'poll-now'? "
            "(`?` in the console lists the ids)",
        ),
    ],
)
def test_what_the_console_would_refuse_is_refused_by_the_config(text, expected):
    assert only(text) == expected


def test_a_theme_far_from_any_lists_the_themes():
    message = only('theme = "zebra"\n')
    assert "Themes: ansi-dark, ansi-light" in message and "textual-dark" in message


def test_a_duplicate_name_is_reported_even_when_the_entry_has_another_error():
    text = GOOD + '\n[[gateways]]\nname = "a"\nurl = "htp://x"\n'
    found = problems(text)
    assert f"{PATH}:6: duplicate gateway name 'a' (first on line 2). Give each gateway its own name" in found
    assert any(m.startswith(f"{PATH}:7: gateway 'a': 'htp://x'") for m in found), found


def test_two_gateways_on_one_url_is_a_warning():
    text = GOOD + '\n[[gateways]]\nname = "b"\nurl = "HTTP://127.0.0.1:1/"\n'
    inventory = parse_inventory(text, PATH, environ={})
    assert [g.name for g in inventory.gateways] == ["a", "b"]
    [warning] = [w.render(PATH) for w in inventory.warnings]
    assert warning == (
        f"{PATH}:7: warning: gateway 'b' has the URL of gateway 'a' (line 3): both poll the same gateway. "
        "Remove one, or correct its URL"
    )


def test_a_profile_naming_an_unknown_gateway_lists_the_gateways():
    text = "".join(f'[[gateways]]\nname = "gw-{i}"\nurl = "http://127.0.0.1:{i}"\n' for i in range(1, 16))
    message = only(text + '\n[profiles.eu]\ngateways = ["zebra"]\n')
    assert message.startswith(f"{PATH}:48: profile 'eu' names gateway 'zebra', which is not in the config. ")
    assert message.endswith(
        "Gateways in the config: gw-1, gw-2, gw-3, gw-4, gw-5, gw-6, gw-7, gw-8, gw-9, gw-10 and 5 more "
        "(`convos-tui config list` shows them)"
    )
    assert "Did you mean 'gw-15'?" in only(text + '\n[profiles.eu]\ngateways = ["gw-15x"]\n')


def test_a_profile_may_name_a_gateway_whose_entry_has_an_error():
    # Only the gateway's own error is reported, not a second one in the profile that names it.
    found = problems('[[gateways]]\nname = "a"\nurl = "htp://x"\n\n[profiles.eu]\ngateways = ["a"]\n')
    assert len(found) == 1 and "'htp://x'" in found[0]


def test_problems_come_in_the_order_of_the_file():
    # The keymap is read before the theme; the person reads line 1 first.
    found = problems('theme = "textual-drak"\n[keymap]\npol-now = "r"\n')
    assert [message.split(":")[1] for message in found] == ["1", "3"]
