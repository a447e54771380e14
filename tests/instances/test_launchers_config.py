"""`[[launchers]]` in the config: read into launchers, each mistake named with its line and the fix."""

import pathlib

import pytest

from convos_tui.fleet.inventory import ConfigError, parse_inventory

PATH = pathlib.Path("/etc/fleet/config.toml")
SIM = '[[launchers]]\nname = "local"\ntype = "sim"\ngolden = "golden"\n'


def problems(text):
    with pytest.raises(ConfigError) as caught:
        parse_inventory(text, PATH, environ={})
    return [p.render(PATH) for p in caught.value.problems]


def test_a_launcher_with_defaults_and_one_with_everything():
    text = SIM + (
        '\n[[launchers]]\nname = "real"\ntype = "openclaw"\ngolden = "/srv/golden"\nports = [19100, 19199]\n'
        'max_instances = 4\ntags = ["eu"]\nexecutable = ["/opt/node/bin/node", "/opt/oc/openclaw.mjs"]\n'
        'boot_timeout = "5m"\ngrace = "2s"\n'
    )
    sim, real = parse_inventory(text, PATH, environ={}).launchers
    assert (sim.name, sim.type, sim.golden, sim.ports, sim.max_instances) == (
        "local",
        "sim",
        PATH.parent / "golden",
        (19000, 19999),
        10,
    )
    assert sim.boot_timeout == 30 and sim.speed == 1
    assert real.golden == pathlib.Path("/srv/golden") and real.ports == (19100, 19199)
    assert real.executable == ("/opt/node/bin/node", "/opt/oc/openclaw.mjs")
    assert (real.max_instances, real.tags, real.boot_timeout, real.grace) == (4, ("eu",), 300, 2)


@pytest.mark.parametrize(
    ("extra", "line", "words"),
    [
        ('type = "vm"\n', 3, "type 'vm' is not one of openclaw, sim, docker, command"),
        ('image = "x:1"\n', 5, 'image is not a key of type "sim"'),
        ('ports = "19000-19001"\n', 5, 'Write ports = "19000-19099"'),
        ("max_instances = 0\n", 5, "max_instances 0 is not a whole number from 1 to 1000"),
        ('speed = "fast"\n', 5, "speed 'fast' is not a number"),
        ('executable = "/bin/openclaw"\n', 5, "a sim launcher runs the project's simulator"),
        ('gloden = "x"\n', 5, "Did you mean 'golden'?"),
    ],
)
def test_mistakes_are_named_with_line_and_fix(extra, line, words):
    text = SIM.replace('type = "sim"\n', extra) if extra.startswith("type") else SIM + extra
    [found] = problems(text)
    assert found.startswith(f"{PATH}:{line}:") and words in found, found


def test_a_launcher_needs_a_name_and_a_golden():
    found = problems('[[launchers]]\ntype = "sim"\n')
    assert any("needs a valid name" in p for p in found) and any("needs a golden" in p for p in found)


def test_the_readme_launcher_example_is_valid():
    import re

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    match = re.search(r"<!-- launchers-example -->\s*```toml\n(.+?)\n```", readme, re.S)
    assert match, "README.md lost its [[launchers]] example"
    [launcher] = parse_inventory(match.group(1), PATH, environ={}).launchers
    assert (launcher.type, launcher.ports, launcher.boot_timeout, launcher.grace) == (
        "openclaw",
        (19000, 19099),
        180,
        5,
    )
    assert launcher.golden == pathlib.Path("~/goldens/agent").expanduser()
