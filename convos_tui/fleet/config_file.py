"""Safe edits of the config file: change exactly what was asked, keep every comment and blank line.

Values are changed through tomlkit, which keeps their trailing comments. Whole gateway tables are
added and removed as line spans (tomlkit files a comment written above a table under the table
before it, so deleting through tomlkit would take the wrong comment along). Every edit is checked by
parsing the result again: it must hold exactly the data expected, or nothing is written.
Writes are atomic (temporary file, fsync, rename) and keep one backup. An edit holds an exclusive lock
(`locked`: a lock file beside the config) from reading to writing, so parallel edits never lose each
other's changes; a temporary file left by a killed edit is removed by the next one.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import os
import shutil
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.items

from convos_tui.fleet.inventory import ConfigError, parse_inventory
from convos_tui.fleet.toml_lines import TomlMap, array_table_spans, scan

BACKUP_SUFFIX = ".bak"
LOCK_WAIT_S = 10.0


class EditError(Exception):
    """The edit cannot be made; the message says why and what to do. Nothing was written."""


def read_config(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EditError(f"no config at {path}: create it with `convos-tui config init`") from None
    except UnicodeDecodeError:
        raise EditError(f"{path} is not UTF-8 text: fix it by hand; nothing was changed") from None


def check_editable(text: str, path: Path) -> None:
    """A config with errors in it is never rewritten by the tool: the person fixes it first.

    Missing environment variables do not count: they are not in the file.
    """
    try:
        parse_inventory(text, path, environ=_AnyEnviron())
    except ConfigError as exc:
        blocking = [p for p in exc.problems if p.severity == "error"]
        if blocking:
            lines = "\n".join(p.render(path) for p in blocking)
            raise EditError(f"the config has errors, so it was not changed:\n{lines}") from None


class _AnyEnviron(dict[str, str]):
    """An environment in which every variable is set: edits must not depend on the shell's."""

    def get(self, key: str, default: Any = None) -> str:
        return "set"


def gateway_names(text: str) -> list[object]:
    """The `name` of each gateway table in order, whatever it holds (missing: None), so an index is the table's."""
    data = tomllib.loads(text)
    return [g.get("name") for g in data.get("gateways", []) if isinstance(g, dict)]


def _index_of(text: str, name: str) -> int:
    names = gateway_names(text)
    if name not in names:
        known = ", ".join(str(n) for n in names) or "none"
        raise EditError(f"no gateway named {name!r} in the config (gateways: {known})")
    return names.index(name)


def _newline(text: str) -> str:
    """The file's own line ending, so added lines match it."""
    return "\r\n" if "\r\n" in text else "\n"


def _uses_array_of_tables(text: str) -> bool:
    return bool(array_table_spans(text, "gateways"))


def add_gateway(text: str, gateway: dict[str, Any]) -> str:
    """`text` with one more [[gateways]] table after the last one (or at the end)."""
    names = gateway_names(text)
    if gateway["name"] in names:
        raise EditError(f"a gateway named {gateway['name']!r} is already in the config: choose another name")
    data = tomllib.loads(text)
    if "gateways" in data and not _uses_array_of_tables(text):
        # Gateways written as an inline array: append to it through tomlkit.
        doc = tomlkit.parse(text)
        doc["gateways"].append(tomlkit.inline_table() | gateway)
        result = tomlkit.dumps(doc)
    else:
        newline = _newline(text)
        block = [line + newline for line in tomlkit.dumps({"gateways": [gateway]}).strip("\n").split("\n")]
        lines = text.splitlines(keepends=True)
        spans = array_table_spans(text, "gateways")
        at = spans[-1][1] if spans else len(lines)
        if at == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += newline  # appending after a last line that had no line end
        before = lines[:at]
        after = lines[at:]
        pad_before = [newline] if before and before[-1].strip() else []
        pad_after = [newline] if after and after[0].strip() else []
        result = "".join(before + pad_before + block + pad_after + after)
    expected = dict(data, gateways=[*data.get("gateways", []), gateway])
    return _verified(result, expected)


def remove_gateway(text: str, name: str) -> str:
    """`text` without the gateway's table (and its own comment block), and without its name in profiles."""
    index = _index_of(text, name)
    expected = copy.deepcopy(tomllib.loads(text))
    del expected["gateways"][index]
    spans = array_table_spans(text, "gateways")
    if spans:
        start, end = spans[index]
        lines = text.splitlines(keepends=True)
        # Drop the blank lines that separated the removed table from what came before it.
        while start > 0 and not lines[start - 1].strip() and (end >= len(lines) or not lines[end].strip()):
            start -= 1
        result = "".join(lines[:start] + lines[end:])
        if not expected["gateways"]:
            del expected["gateways"]  # no [[gateways]] header left: the key is gone
    else:
        doc = tomlkit.parse(text)
        del doc["gateways"][index]
        result = tomlkit.dumps(doc)
    result = _replace_in_profiles(result, expected, name, None)
    return _verified(result, expected)


def edit_gateway(text: str, name: str, changes: dict[str, Any]) -> str:
    """Set (value) or remove (None) keys of one gateway; a new `name` renames it in profiles too."""
    index = _index_of(text, name)
    data = tomllib.loads(text)
    new_name = changes.get("name")
    if new_name and new_name != name and new_name in gateway_names(text):
        raise EditError(f"a gateway named {new_name!r} is already in the config: choose another name")
    doc = tomlkit.parse(text)
    table = doc["gateways"][index]
    expected_gateway = dict(data["gateways"][index])
    as_tables = _uses_array_of_tables(text)
    new_keys = {}
    for key, value in changes.items():
        if value is None:
            if key in table:
                del table[key]
            expected_gateway.pop(key, None)
            continue
        expected_gateway[key] = value
        if key in table or not as_tables:
            _set_keeping_comment(table, key, value)
        else:
            new_keys[key] = value
    expected = copy.deepcopy(data)
    expected["gateways"][index] = expected_gateway
    result = tomlkit.dumps(doc)
    if new_keys:
        result = _insert_keys(result, index, new_keys)
    if new_name and new_name != name:
        result = _replace_in_profiles(result, expected, name, new_name)
    return _verified(result, expected)


def _insert_keys(text: str, index: int, values: dict[str, Any]) -> str:
    """Add keys to the index-th [[gateways]] table, right after its last key.

    (tomlkit would append them after the comment block that introduces the next table.)
    """
    toml_map = scan(text)
    header = toml_map.array_headers[("gateways",)][index]
    own_keys = [
        end
        for path, end in toml_map.ends.items()
        if len(path) == 3
        and path[:2] == ("gateways", index)
        and toml_map.lines[path] > header
        and not _is_sub_table(toml_map, path)
    ]
    after = max(own_keys, default=header)  # 1-based line: insert below it
    rendered = []
    for key, value in values.items():
        item = tomlkit.inline_table() | value if isinstance(value, dict) else value
        rendered.append(tomlkit.dumps({key: item}).rstrip("\n") + _newline(text))
    lines = text.splitlines(keepends=True)
    return "".join(lines[:after] + rendered + lines[after:])


def _is_sub_table(toml_map: TomlMap, path: tuple[Any, ...]) -> bool:
    return any(header_path == path for _, header_path in toml_map.headers)


def _set_keeping_comment(table: Any, key: str, value: Any) -> None:
    old = table.get(key) if hasattr(table, "get") else None
    table[key] = value
    if isinstance(old, tomlkit.items.Item) and old.trivia.comment:
        new = table[key]
        if isinstance(new, tomlkit.items.Item):
            new.trivia.comment = old.trivia.comment
            new.trivia.comment_ws = old.trivia.comment_ws


def _replace_in_profiles(text: str, expected: dict[str, Any], old: str, new: str | None) -> str:
    """Rename (or with None, drop) a gateway in every profile's list, so the config stays valid."""
    doc = tomlkit.parse(text)
    changed = False
    for profile_name, profile in doc.get("profiles", {}).items():
        members = profile.get("gateways") if hasattr(profile, "get") else None
        if not isinstance(members, list):
            continue
        want = expected["profiles"][profile_name]["gateways"]
        for position in reversed(range(len(members))):
            if members[position] != old:
                continue
            changed = True
            if new is None:
                del members[position]
                del want[position]
            else:
                members[position] = new
                want[position] = new
    return tomlkit.dumps(doc) if changed else text


def _verified(result: str, expected: dict[str, Any]) -> str:
    """`result` if it parses to exactly `expected`; otherwise the edit is refused."""
    try:
        got = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:  # a bug here must never reach the file
        raise EditError(f"the edit would break the file ({exc}); nothing was changed") from None
    if got != expected:
        raise EditError(
            "the edit would change more than asked (a layout the tool cannot edit safely); "
            "edit the file by hand; nothing was changed"
        )
    return result


def set_value(text: str, keys: tuple[str, ...], value: Any) -> str:
    """Set the value at `keys` (`("columns",)`, `("views", "faults")`), making the tables on the way; None
    removes it. Every comment stays, a value's own trailing comment too; the result is verified."""
    expected = copy.deepcopy(tomllib.loads(text))
    if len(keys) == 1 and keys[0] not in expected and value is not None:
        expected[keys[0]] = value  # a new top-level key: beside the others (tomlkit would file it under a comment)
        return _verified(_insert_top_level(text, keys[0], value), expected)
    doc = tomlkit.parse(text)
    table: Any = doc
    want: dict[str, Any] = expected
    for key in keys[:-1]:
        if key not in table:
            table[key] = tomlkit.table(is_super_table=True)  # no [views] header of its own over [views.x]
        table, want = table[key], want.setdefault(key, {})
    if value is None:
        table.pop(keys[-1], None)
        want.pop(keys[-1], None)
        if len(keys) == 2 and not want:  # the last [views.x] gone: the empty [views] goes too
            doc.pop(keys[0], None)
            expected.pop(keys[0], None)
    else:
        _set_keeping_comment(table, keys[-1], value)
        want[keys[-1]] = value
    return _verified(tomlkit.dumps(doc), expected)


def _insert_top_level(text: str, key: str, value: Any) -> str:
    """`key = value` on the line after the last top-level key, above the first table and its comments."""
    toml_map = scan(text)
    first_table = min((line for line, _ in toml_map.headers), default=None)
    ends = [end for path, end in toml_map.ends.items() if len(path) == 1 and (first_table is None or end < first_table)]
    lines = text.splitlines(keepends=True)
    after = max(ends, default=0 if first_table is not None else len(lines))
    if lines and after == len(lines) and not lines[-1].endswith("\n"):
        lines[-1] += _newline(text)
    rendered = tomlkit.dumps({key: value}).rstrip("\n") + _newline(text)
    return "".join(lines[:after] + [rendered] + lines[after:])


def save_value(path: Path, keys: tuple[str, ...], value: Any) -> None:
    """set_value on the config file itself, under its lock; a config with errors is never rewritten."""
    with locked(path):
        text = read_config(path) if path.exists() else ""
        check_editable(text, path)
        atomic_write(path, set_value(text, keys, value))


@contextlib.contextmanager
def locked(path: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the config's edit lock (`.<name>.lock` beside it): read, edit and write inside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EditError(
                        f"another edit of {path} has held its lock for {wait_s:g} s: "
                        "nothing was changed; try again when it is done"
                    ) from None
                time.sleep(0.02)
        _remove_stale_temporaries(path)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_stale_temporaries(path: Path) -> None:
    """Under the lock no other edit is writing: a temporary file left there was left by a killed one."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)


def atomic_write(path: Path, text: str) -> Path | None:
    """Write `text` to `path` atomically, keeping the previous file as `<path>.bak`. Returns the backup."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    mode = 0o600
    if path.exists():
        mode = path.stat().st_mode & 0o777
        backup = path.with_name(path.name + BACKUP_SUFFIX)
        shutil.copy2(path, backup)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return backup
    try:
        os.fsync(dir_fd)  # the rename itself must survive a crash
    finally:
        os.close(dir_fd)
    return backup
