from pathlib import Path

from convos_tui.fleet.paths import config_path, data_dir


def test_default_is_under_xdg_config_home():
    assert config_path(environ={"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/u"}) == Path(
        "/x/cfg/convos-tui/config.toml"
    )


def test_falls_back_to_home_dot_config_and_ignores_a_relative_xdg():
    for environ in ({"HOME": "/home/u"}, {"HOME": "/home/u", "XDG_CONFIG_HOME": "relative/dir"}):
        assert config_path(environ=environ) == Path("/home/u/.config/convos-tui/config.toml")


def test_env_variable_then_explicit_flag_win():
    environ = {"HOME": "/home/u", "CONVOS_TUI_CONFIG": "/srv/fleet.toml"}
    assert config_path(environ=environ) == Path("/srv/fleet.toml")
    assert config_path("/tmp/other.toml", environ=environ) == Path("/tmp/other.toml")


def test_data_dir():
    assert data_dir({"XDG_DATA_HOME": "/x/data"}) == Path("/x/data/convos-tui")
    assert data_dir({"HOME": "/home/u"}) == Path("/home/u/.local/share/convos-tui")
