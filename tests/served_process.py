"""A convos-tui server as a process (`serve`, `web`): started, its URL read from what it prints, and stopped
(SIGTERM, then killed) whatever the test does."""

import os
import re
import signal
import subprocess
import sys
import threading

WAIT_S = 60


class ServedProcess:
    def __init__(self, args, env=()):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "convos_tui", *map(str, args)],
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **dict(env)},
        )
        self.lines, self.url = [], None
        ready = threading.Event()

        def read():
            for line in self.process.stderr:
                self.lines.append(line)
                if self.url is None and (found := re.search(r" at (http://\S+)", line)):
                    self.url = found.group(1)
                    ready.set()
            ready.set()  # it ended without saying where it serves

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not (ready.wait(WAIT_S) and self.url):
            self.stop()
            raise AssertionError("the server never said where it serves:\n" + "".join(self.lines))

    def stop(self):
        """Its exit code: 0 when SIGTERM stopped it cleanly."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(WAIT_S)
        return self.process.returncode
