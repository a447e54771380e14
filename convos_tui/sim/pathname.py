"""How the gateway reads a request's target: Node's `new URL(req.url, base).pathname`."""

from __future__ import annotations

import re


def _is_dots(segment: str, count: int) -> bool:
    return segment.lower().replace("%2e", ".") == "." * count


_PLAIN_PATH = re.compile(r"/[A-Za-z0-9/_-]*")


def pathname(raw_target: str) -> str:
    """`new URL(req.url, base).pathname`: query and fragment dropped, dot segments resolved."""
    if _PLAIN_PATH.fullmatch(raw_target):
        return raw_target  # the common case: nothing to resolve
    target = re.sub(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*", "", raw_target)
    target = re.split(r"[?#]", target, maxsplit=1)[0].replace("\\", "/")
    parts = target.split("/")[1:] if target.startswith("/") else [target]
    segments: list[str] = []
    for i, segment in enumerate(parts):
        last = i == len(parts) - 1
        if _is_dots(segment, 2):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif _is_dots(segment, 1):
            if last:
                segments.append("")
        else:
            segments.append(segment)
    return "/" + "/".join(segments)
