"""Copying per the config's clipboard mode: OSC 52 first, the system clipboard as fallback, never an exception."""

import pyperclip
import pytest

from convos_tui import clipboard
from convos_tui.clipboard import copy_text, osc52_sequence

LOCAL = {}
SSH = {"SSH_CONNECTION": "127.0.0.1 5000 127.0.0.1 22"}


class Recorder:
    def __init__(self, fail: BaseException | None = None):
        self.fail, self.texts = fail, []

    def __call__(self, text):
        if self.fail is not None:
            raise self.fail
        self.texts.append(text)


def test_osc52_sequence_is_base64_of_utf8():
    assert osc52_sequence("hé") == "\x1b]52;c;aMOp\a"


def test_auto_locally_sends_osc52_and_copies_to_the_system_clipboard():
    osc52, system = Recorder(), Recorder()
    outcome = copy_text("url", "auto", osc52=osc52, system=system, environ=LOCAL)
    assert outcome.copied and outcome.via == "osc52+system" and osc52.texts == system.texts == ["url"]


def test_auto_over_ssh_uses_only_osc52_and_says_what_to_check_in_tmux():
    osc52, system = Recorder(), Recorder()
    outcome = copy_text("url", "auto", osc52=osc52, system=system, environ={**SSH, "TMUX": "/tmp/tmux-0/default"})
    assert outcome.copied and outcome.via == "osc52" and system.texts == []
    assert "set -g set-clipboard on" in outcome.message and "OSC 52" in outcome.message


def test_auto_falls_back_to_the_system_clipboard_without_a_terminal():
    system = Recorder()
    outcome = copy_text("url", "auto", osc52=None, system=system, environ=LOCAL)
    assert outcome.copied and outcome.via == "system"


def test_system_mode_never_sends_osc52():
    osc52, system = Recorder(), Recorder()
    assert copy_text("url", "system", osc52=osc52, system=system, environ=SSH).via == "system"
    assert osc52.texts == []


def test_osc52_mode_never_touches_the_system_clipboard():
    osc52, system = Recorder(), Recorder()
    outcome = copy_text("url", "osc52", osc52=osc52, system=system, environ=LOCAL)
    assert outcome.via == "osc52" and system.texts == [] and 'clipboard = "system"' in outcome.message


def test_off_copies_nothing_and_says_how_to_copy_by_hand():
    osc52, system = Recorder(), Recorder()
    outcome = copy_text("url", "off", osc52=osc52, system=system, environ=LOCAL)
    assert not outcome.copied and osc52.texts == system.texts == [] and "select it" in outcome.message


@pytest.mark.parametrize("mode", ["auto", "osc52", "system", "bogus"])
def test_failures_never_raise_and_say_what_to_do(mode):
    osc52 = Recorder(OSError("terminal gone"))
    system = Recorder(pyperclip.PyperclipException("could not find a copy/paste mechanism"))
    outcome = copy_text("url", mode, osc52=osc52, system=system, environ=LOCAL)
    assert not outcome.copied and outcome.via == ""
    assert "select it" in outcome.message
    if mode == "system":
        assert "xclip" in outcome.message


def test_auto_over_ssh_without_a_terminal_explains_why_the_system_clipboard_is_not_used():
    outcome = copy_text("url", "auto", osc52=None, system=Recorder(), environ=SSH)
    assert not outcome.copied and "remote machine" in outcome.message


def test_the_default_system_copy_is_pyperclip(monkeypatch):
    copied = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    assert copy_text("url", "system", environ=LOCAL).copied and copied == ["url"]
    monkeypatch.setattr(clipboard, "_system_copy", Recorder(RuntimeError("boom")))
    assert not copy_text("url", "system", environ=LOCAL).copied


def test_auto_never_suggests_the_system_clipboard_that_just_failed():
    """Issue 13 item 11: with no xclip, the message said to set clipboard = "system", which had just failed."""
    osc52 = Recorder()
    system = Recorder(pyperclip.PyperclipException("Pyperclip could not find a copy/paste mechanism for your system"))
    outcome = copy_text("url", "auto", osc52=osc52, system=system, environ=LOCAL)
    assert outcome.copied and outcome.via == "osc52"
    assert 'clipboard = "system"' not in outcome.message
    assert "the system clipboard failed (Pyperclip could not find" in outcome.message
    assert "install xclip, xsel or wl-clipboard" in outcome.message
