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


DOCKER = '[[launchers]]\nname = "box"\ntype = "docker"\nimage = "golden@sha256:abc"\n'
HOOKS = (
    '[[launchers]]\nname = "fly"\ntype = "command"\ngolden = "registry.fly.io/agent:v3"\n'
    'launch = ["fly", "machine", "run", "{golden}", "--name", "{instance}"]\n'
    'terminate = "fly machine destroy --force {id}"\n'
)


def test_a_docker_launcher_and_its_defaults():
    text = DOCKER + (
        'network = "bridge"\ncontainer_port = 8080\nenv = { NODE_ENV = "production" }\npass_env = ["ANTHROPIC_API_KEY"]\n'
        'engine = "unix:///run/docker.sock"\ncommand = ["openclaw", "gateway", "run", "--port", "{port}"]\n'
    )
    [box] = parse_inventory(text, PATH, environ={}).launchers
    assert (box.type, box.image, box.pull, box.network, box.container_port) == (
        "docker",
        "golden@sha256:abc",
        "missing",
        "bridge",
        8080,
    )
    assert box.env == (("NODE_ENV", "production"),) and box.engine == "unix:///run/docker.sock"
    assert box.command[-1] == "{port}" and box.boot_timeout == 180
    [plain] = parse_inventory(DOCKER, PATH, environ={}).launchers
    assert plain.pass_env == ("ANTHROPIC_API_KEY",) and plain.network == "bridge" and plain.command == ()


def test_a_command_launcher_splits_a_string_without_a_shell_and_has_timeouts():
    [fly] = parse_inventory(HOOKS + 'hook_timeouts = { launch = "10m" }\n', PATH, environ={}).launchers
    assert fly.hook("launch")[-1] == "{instance}"
    assert fly.hook("terminate") == ("fly", "machine", "destroy", "--force", "{id}")
    assert fly.hook("list") == () and fly.golden_name == "registry.fly.io/agent:v3"
    assert (fly.hook_timeout("launch"), fly.hook_timeout("terminate"), fly.hook_timeout("list")) == (600, 60, 30)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[[launchers]]\nname = "box"\ntype = "docker"\n', "needs an image (its golden)"),
        (DOCKER + 'pull = "sometimes"\n', "pull 'sometimes' is not one of missing, always, never"),
        (DOCKER + 'env = { API_TOKEN = "abc" }\n', "API_TOKEN: a secret does not go in the config"),
        (DOCKER + 'network = "host"\n', 'with network = "host" the gateway must listen on the port'),
        (DOCKER + 'command = ["gw", "{secret}"]\n', "unknown placeholder {secret}"),
        (DOCKER + 'golden = "x"\n', 'golden is not a key of type "docker"'),
        ('[[launchers]]\nname = "fly"\ntype = "command"\nterminate = ["x"]\n', "needs a launch command"),
        (HOOKS + "list = 3\n", "list should be a command: a list of arguments"),
        (HOOKS + 'hook_timeouts = { start = "1s" }\n', "start"),
        (HOOKS + 'hook_timeouts = { launch = "soon" }\n', "hook_timeouts launch"),
    ],
)
def test_docker_and_command_mistakes_are_named(text, words):
    found = problems(text)
    assert any(words in p for p in found), found
