"""Where things are in a TOML text: the line of each key, and the lines of each `[[array]]` table.

tomlkit keeps comments and layout but not positions, so config errors could not name their line.
This scanner walks a text that already parsed (so it may assume valid TOML) and records, for every
key path such as ("gateways", 2, "url"), the 1-based line its key sits on, inline tables and
arrays of tables included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]
_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass
class TomlMap:
    lines: dict[KeyPath, int] = field(default_factory=dict)
    # The 1-based line on which each key's value ends (a multi-line array or string ends later).
    ends: dict[KeyPath, int] = field(default_factory=dict)
    # For each `[[name]]` array (by its resolved path), the 1-based header line of each element.
    array_headers: dict[KeyPath, list[int]] = field(default_factory=dict)
    # Every table or array-of-tables header line, in order: (line, resolved path).
    headers: list[tuple[int, KeyPath]] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest enclosing key or table when it has none itself."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.map = TomlMap()
        self.table: KeyPath = ()
        self.aot_index: dict[KeyPath, int] = {}

    # -- low level ---------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self.pos < len(self.text):
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1

    def skip_space(self, newlines: bool = False) -> None:
        while True:
            ch = self.peek()
            if ch in (" ", "\t", "\r") or (newlines and ch == "\n"):
                self.advance()
            elif ch == "#" and newlines:
                self.skip_comment()
            else:
                return

    def skip_comment(self) -> None:
        while self.peek() not in ("", "\n"):
            self.advance()

    # -- pieces ------------------------------------------------------------------------------
    def read_string(self) -> str:
        quote = self.peek()
        triple = self.text.startswith(quote * 3, self.pos)
        self.advance(3 if triple else 1)
        out = []
        while self.pos < len(self.text):
            if triple and self.text.startswith(quote * 3, self.pos):
                # A closing run may hold up to two extra quotes that belong to the string.
                while self.peek(3) == quote:
                    out.append(quote)
                    self.advance()
                self.advance(3)
                return "".join(out)
            ch = self.peek()
            if not triple and ch == quote:
                self.advance()
                return "".join(out)
            if ch == "\\" and quote == '"':
                out.append(self.peek(1))
                self.advance(2)
                continue
            out.append(ch)
            self.advance()
        return "".join(out)

    def read_key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_space()
            ch = self.peek()
            if ch in ('"', "'"):
                parts.append(self.read_string())
            else:
                start = self.pos
                while self.peek() in _BARE and self.peek():
                    self.advance()
                parts.append(self.text[start : self.pos])
            self.skip_space()
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    def resolve(self, parts: list[str]) -> KeyPath:
        """A header's dotted path with each array-of-tables prefix replaced by its current element."""
        path: KeyPath = ()
        for part in parts:
            path = path + (part,)
            if path in self.aot_index:
                path = path + (self.aot_index[path],)
        return path

    # -- values ------------------------------------------------------------------------------
    def read_value(self, path: KeyPath) -> None:
        self.skip_space()
        ch = self.peek()
        if ch in ('"', "'"):
            self.read_string()
        elif ch == "[":
            self.advance()
            index = 0
            while True:
                self.skip_space(newlines=True)
                if self.peek() in ("]", ""):
                    self.advance()
                    return
                self.read_value(path + (index,))
                index += 1
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        elif ch == "{":
            self.map.lines.setdefault(path, self.line)
            self.advance()
            while True:
                self.skip_space(newlines=True)
                if self.peek() in ("}", ""):
                    self.advance()
                    return
                self.read_pair(path)
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.advance()
        else:
            while self.peek() not in ("", ",", "]", "}", "\n", "#"):
                self.advance()

    def read_pair(self, table: KeyPath) -> None:
        line = self.line
        parts = self.read_key()
        path = table
        for part in parts:
            path = path + (part,)
            self.map.lines.setdefault(path, line)
        if self.peek() == "=":
            self.advance()
        self.read_value(path)
        self.map.ends[path] = self.line

    def read_header(self) -> None:
        line = self.line
        is_array = self.peek(1) == "["
        self.advance(2 if is_array else 1)
        parts = self.read_key()
        self.advance(2 if is_array else 1)
        if is_array:
            base = self.resolve(parts[:-1]) + (parts[-1],)
            self.aot_index[base] = self.aot_index.get(base, -1) + 1
            self.map.array_headers.setdefault(base, []).append(line)
            self.table = base + (self.aot_index[base],)
            self.map.lines.setdefault(base, line)
        else:
            self.table = self.resolve(parts)
        self.map.lines.setdefault(self.table, line)
        self.map.headers.append((line, self.table))

    def run(self) -> TomlMap:
        while self.pos < len(self.text):
            self.skip_space(newlines=True)
            ch = self.peek()
            if not ch:
                break
            if ch == "[":
                self.read_header()
            else:
                self.read_pair(self.table)
            self.skip_space()
            if self.peek() == "#":
                self.skip_comment()
            # Anything else left on the line cannot be valid TOML; step past it defensively.
            while self.peek() not in ("", "\n"):
                self.advance()
        return self.map


def scan(text: str) -> TomlMap:
    return _Scanner(text).run()


class LazyTomlMap(TomlMap):
    """The lines of `text`, scanned when a line is first asked for: loading a config needs them only to
    report a problem, and scanning a config of 1,000 gateways took two thirds of loading it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text

    def line_of(self, path: KeyPath) -> int | None:
        if self._text is not None:
            scanned, self._text = scan(self._text), None
            self.lines, self.ends = scanned.lines, scanned.ends
            self.array_headers, self.headers = scanned.array_headers, scanned.headers
        return super().line_of(path)


def array_table_spans(text: str, name: str) -> list[tuple[int, int]]:
    """0-based [start, end) line spans of each top-level `[[name]]` table, with the comment block
    written directly above its header (no blank line between) counted as its own."""
    toml_map = scan(text)
    lines = text.splitlines(keepends=True)
    spans = []
    for index, header in enumerate(toml_map.array_headers.get((name,), [])):
        # The table runs to the next header that is not one of its own sub-tables.
        own = (name, index)
        later = [line - 1 for line, path in toml_map.headers if line > header and path[:2] != own]
        start = _attached_comment_start(lines, header - 1)
        end = min(later, default=len(lines))
        # The next table's own comment block and the blank lines before it are not part of this one.
        if end < len(lines):
            end = _attached_comment_start(lines, end)
        while end > header and not lines[end - 1].strip():
            end -= 1
        spans.append((start, end))
    return spans


def _attached_comment_start(lines: list[str], header: int) -> int:
    start = header
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return start
