"""The detail's live log: the last lines first, then each line as it is written, never a half line, and
neutralised (no colour, no control character reaches the screen)."""

from convos_tui.ui.instances import LogFollower


def test_it_follows_the_file_line_by_line(tmp_path):
    log = tmp_path / "gateway.log"
    log.write_bytes(b"".join(f"line {n}\n".encode() for n in range(300)))
    follower = LogFollower(log, first_lines=5)
    assert follower.new_lines() == [f"line {n}" for n in range(295, 300)]
    assert follower.new_lines() == []
    with open(log, "ab") as out:
        out.write(b"written later\nhalf a li")
    assert follower.new_lines() == ["written later"]
    with open(log, "ab") as out:
        out.write(b"ne\n")
    assert follower.new_lines() == ["half a line"]


def test_a_log_line_cannot_drive_the_terminal(tmp_path):
    log = tmp_path / "gateway.log"
    log.write_bytes(b"\x1b[31mred\x1b[0m [bold]not markup[/bold]\x07\x1b]0;title\x07 done\r\n")
    assert LogFollower(log).new_lines() == ["red [bold]not markup[/bold] done"]


def test_a_missing_or_cut_file(tmp_path):
    log = tmp_path / "gateway.log"
    follower = LogFollower(log)
    assert follower.new_lines() == []  # not there yet: nothing, no error
    log.write_bytes(b"one\ntwo\n")
    assert follower.new_lines() == ["one", "two"]
    log.write_bytes(b"again\n")  # cut and written anew (shorter than before)
    assert follower.new_lines() == ["again"]
