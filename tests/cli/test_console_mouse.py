"""`mouse = false` in the config: the console never asks the terminal for mouse reports, so the terminal's own
selection works (the console run in a real pseudo-terminal, its output read)."""

import os
import pty
import select
import subprocess
import sys
import time

import pytest

MOUSE_ON = b"\x1b[?1000h"  # what Textual writes to turn mouse reporting on


def console_output(config, tmp_path) -> bytes:
    main, child = pty.openpty()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "TERM": "xterm-256color", "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "convos_tui", "--config", str(config)],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Palette" not in seen and time.monotonic() < deadline:  # the footer is drawn: the screen is up
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
        os.write(main, b"q")
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    assert b"Palette" in seen, seen[-500:]
    return seen


@pytest.mark.parametrize("mouse", [True, False])
def test_mouse_false_leaves_the_mouse_to_the_terminal(tmp_path, mouse):
    config = tmp_path / "fleet.toml"
    # One gateway on a loopback port nothing listens on: the console needs one to start; it polls only 127.0.0.1.
    gateway = '[[gateways]]\nname = "gw-1"\nurl = "http://127.0.0.1:9"\n'
    config.write_text(f"mouse = {str(mouse).lower()}\n\n{gateway}")
    assert (MOUSE_ON in console_output(config, tmp_path)) is mouse
