"""`metric_labels = [...]` in the config: tag prefixes that become Prometheus labels, checked as they are read."""

import pathlib

import pytest

from convos_tui.fleet.inventory import ConfigError, parse_inventory

PATH = pathlib.Path("/etc/fleet/config.toml")
GOOD = '[[gateways]]\nname = "a"\nurl = "http://127.0.0.1:1"\n'


def problems(text):
    with pytest.raises(ConfigError) as caught:
        parse_inventory(text, PATH, environ={})
    return [p.render(PATH) for p in caught.value.problems]


def test_label_names_are_read():
    inventory = parse_inventory('metric_labels = ["region", "site_2"]\n' + GOOD, PATH, environ={})
    assert inventory.settings.metric_labels == ("region", "site_2")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ('"region"', "metric_labels should be a list"),
        ('["2region"]', "is not a Prometheus label name"),
        ('["re-gion"]', "is not a Prometheus label name"),
        ('["__name"]', "is not a Prometheus label name"),
        ("[3]", "is not a Prometheus label name"),
        ('["gateway"]', "is already a label of the metrics"),
        ('["region", "region"]', "is already a label of the metrics"),
    ],
)
def test_bad_label_names_say_what_to_write(value, said):
    found = problems(f"metric_labels = {value}\n" + GOOD)
    assert len(found) == 1 and said in found[0], found
    assert found[0].startswith(f"{PATH}:1: ")
