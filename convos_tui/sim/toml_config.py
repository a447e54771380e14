"""The console configs the simulator writes (`simulate`, the demo): comment lines, then values, as TOML.

tomlkit writes them: it escapes every string (a name may hold quotes or a DEL) and quotes every key that
needs it (a profile named `eu.west` is `[profiles."eu.west"]`, not a table inside a table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import tomlkit


def toml_config(comments: Iterable[str], values: Mapping[str, Any]) -> str:
    """`# comment` lines, a blank line, then `values` (a dict becomes a table, a list of dicts `[[tables]]`)."""
    document = tomlkit.document()
    for line in comments:
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    document.update(values)
    return tomlkit.dumps(document)
