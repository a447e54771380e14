"""The filter box's history: the filters applied, newest last, kept across runs in the data dir.

One filter a line in `filter-history` beside the history store (none with an in-memory store: tests, the
demo); at most LIMIT, a filter used again moves to the end. A file that cannot be read or written costs the
history, never the console.
"""

from __future__ import annotations

import os
from pathlib import Path

from convos_tui.api.interpret import clean_text

LIMIT = 200
FILE = "filter-history"


class FilterHistory:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: list[str] = []
        if path is not None:
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            # Written by this console, but a file in the data dir is still outside input: one clean line each.
            self.entries = [clean_text(line) for line in lines if line.strip()][-LIMIT:]

    def add(self, expression: str) -> None:
        expression = " ".join(expression.split())
        if not expression:
            return
        if expression in self.entries:
            self.entries.remove(expression)
        self.entries = [*self.entries, expression][-LIMIT:]
        if self.path is None:
            return
        temporary = self.path.with_name(f".{FILE}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # filters can name hosts: private
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("\n".join(self.entries) + "\n")
            os.replace(temporary, self.path)
        except OSError:
            pass  # the history is a convenience: the console goes on without it
