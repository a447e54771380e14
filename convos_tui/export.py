"""Lists an operator takes away (bulk results, new invites) as CSV and JSON files side by side.

They hold live invites (anyone who reads one can join), so they are made 0600 whatever the umask."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO


def write_csv_and_json(
    rows: Sequence[dict[str, Any]], fields: Sequence[str], folder: Path, name: str, *, now: float
) -> list[Path]:
    """`<name>-<UTC time>.csv` and `.json` in `folder`. An existing file is never overwritten (a second save
    in the same second fails with FileExistsError, an OSError the caller reports)."""
    stem = folder / f"{name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}"
    csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
    with _private(csv_path, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with _private(json_path) as out:
        json.dump(list(rows), out, ensure_ascii=False, indent=2)
    return [csv_path, json_path]


def write_text_lines(lines: Sequence[str], folder: Path, name: str, *, now: float) -> Path:
    """`<name>-<UTC time>.log` in `folder`: the lines, one a line; never over an existing file (FileExistsError)."""
    path = folder / f"{name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}.log"
    with _private(path) as out:
        out.writelines(line + "\n" for line in lines)
    return path


def _private(path: Path, newline: str | None = None) -> TextIO:
    """A new file (never an existing one: FileExistsError) readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline=newline)
