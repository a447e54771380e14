"""set_value / save_value: one value set or removed in the config, every comment kept, the result verified."""

import pytest

from convos_tui.fleet.config_file import EditError, save_value, set_value

CONFIG = """# the booth fleet
refresh = "5s"  # fast

[[gateways]]
name = "gw-1"  # the first
url = "http://127.0.0.1:18801"

# booth only
[profiles.booth]
tags = ["booth"]  # the booth's
"""


def test_values_go_where_they_belong_and_every_comment_stays():
    text = set_value(CONFIG, ("columns",), ["state", "name"])
    text = set_value(text, ("profiles", "booth", "columns"), ["name"])
    text = set_value(text, ("views", "faults"), {"filter": "state:faults", "sort": "-latency"})
    for line in CONFIG.splitlines():
        assert line in text.splitlines()
    # A new top-level key goes beside the others, not under the comment that belongs to the next table.
    assert text.startswith('# the booth fleet\nrefresh = "5s"  # fast\ncolumns = ["state", "name"]\n')
    assert "# booth only\n[profiles.booth]\n" in text
    assert 'columns = ["name"]' in text.split("[profiles.booth]")[1]
    assert "[views.faults]\n" in text and "\n[views]\n" not in text
    assert set_value(text, ("views", "faults"), None).rstrip() + "\n" == set_value(
        set_value(CONFIG, ("columns",), ["state", "name"]), ("profiles", "booth", "columns"), ["name"]
    )


def test_a_config_with_errors_is_never_rewritten(tmp_path):
    path = tmp_path / "fleet.toml"
    path.write_text('refresh = "never"\n')
    with pytest.raises(EditError, match="the config has errors"):
        save_value(path, ("columns",), ["name"])
    assert path.read_text() == 'refresh = "never"\n'
