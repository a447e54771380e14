"""`convos-tui invite` and `create --qr` as scripts use them: the stored invite, its code, exit codes."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from convos_tui.cli import main
from convos_tui.qr import ANSI_BLACK_ON_WHITE, make_qr
from convos_tui.sim import GatewaySpec, Mode
from tests.threaded_fleet import ThreadFleet

SPECS = [GatewaySpec("a"), GatewaySpec("b"), GatewaySpec("bound", Mode.BOUND)]


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with ThreadFleet(SPECS, speed=500) as sim:
        path = tmp_path / "fleet.toml"
        path.write_text(sim.config_toml())

        def run(*args):
            return CliRunner().invoke(main, ["--config", str(path), *args], catch_exceptions=False)

        run.sim = sim
        yield run


def test_no_store_yet_says_why_and_what_to_do(fleet):
    result = fleet("invite", "a")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no conversation was created from this machine" in result.stderr
    assert "convos-tui create a" in result.stderr


def test_the_stored_invite_alone_on_stdout(fleet):
    created = json.loads(fleet("create", "a", "--name", "Ops room", "--json").stdout)
    result = fleet("invite", "a")
    assert result.exit_code == 0
    assert result.stdout == created["invite_url"] + "\n"
    assert "Ops room" in result.stderr and created["conversation_id"][:12] in result.stderr


def test_qr_prints_the_code_in_ansi_black_on_white(fleet):
    url = json.loads(fleet("create", "a", "--json").stdout)["invite_url"]
    result = fleet("invite", "a", "--qr")
    assert result.exit_code == 0
    assert result.stdout == url + "\n" + make_qr(url).ansi()
    assert result.stdout.count(ANSI_BLACK_ON_WHITE) == make_qr(url).size_needed()[1]


def test_json_keeps_stdout_one_document_and_the_code_goes_to_stderr(fleet):
    created = json.loads(fleet("create", "a", "--json").stdout)
    result = fleet("invite", "a", "--json", "--qr")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["usable"] is True and data["invite_url"] == created["invite_url"]
    assert data["conversation_id"] == created["conversation_id"] and data["env"] == "dev"
    assert make_qr(created["invite_url"]).ansi() in result.stderr


def test_svg_writes_the_code(fleet, tmp_path):
    url = json.loads(fleet("create", "a", "--json").stdout)["invite_url"]
    target = tmp_path / "invite.svg"
    result = fleet("invite", "a", "--svg", str(target))
    assert result.exit_code == 0 and f"wrote {target}" in result.stderr
    assert ET.fromstring(target.read_text().split("\n", 1)[1]).find("{http://www.w3.org/2000/svg}title").text == url


def test_a_locked_conversation_has_no_working_invite(fleet, tmp_path):
    fleet("create", "a")
    assert fleet("lock", "a").exit_code == 0
    result = fleet("invite", "a", "--qr", "--svg", str(tmp_path / "x.svg"))
    assert result.exit_code == 1 and result.stdout == "" and not (tmp_path / "x.svg").exists()
    assert "no longer works" in result.stderr
    data = json.loads(fleet("invite", "a", "--json").stdout)
    assert data["usable"] is False and data["revoked_at"] and data["invite_url"]


def test_an_exploded_conversation_is_not_offered(fleet):
    fleet("create", "a")
    assert fleet("explode", "a", "--yes").exit_code == 0
    result = fleet("invite", "a")
    assert result.exit_code == 1 and "was exploded on" in result.stderr and "its invite is dead" in result.stderr
    other = fleet("invite", "bound")
    assert "Stored invites here" not in other.stderr  # a dead invite is not offered as stored


def test_a_gateway_without_a_stored_invite_lists_those_that_have_one(fleet):
    fleet("create", "a")
    result = fleet("invite", "bound")
    assert result.exit_code == 1
    assert "no invite stored for bound" in result.stderr and "Stored invites here: a." in result.stderr


def test_create_qr_prints_the_code_after_the_usual_output(fleet):
    result = fleet("create", "b", "--qr")
    assert result.exit_code == 0
    url = result.stdout.split("invite: ", 1)[1].split("\n", 1)[0]
    assert result.stdout.endswith(make_qr(url).ansi())


def test_create_qr_json_keeps_stdout_json(fleet):
    result = fleet("create", "b", "--qr", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and make_qr(data["invite_url"]).ansi() in result.stderr


def test_create_qr_prints_no_code_when_the_create_failed(fleet):
    result = fleet("create", "bound", "--qr")
    assert result.exit_code == 1 and ANSI_BLACK_ON_WHITE not in result.output
