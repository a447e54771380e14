"""The filter language of `status --filter` and the console's `/`.

Words are ANDed. `field:value` matches a field (`state:stalled`, `tag:pool-a`, `env:dev`, `name:gw-1*`,
`url:…`, `shape:newer`, `origin:launcher:NAME`, `runtime:hermes`); commas mean OR (`state:stalled,flapping`); a leading `-` negates (`-state:idle`);
`state:faults` is every fault state. `runtime:` matches the runtime's name (openclaw, hermes, railway-template,
unknown), its label (`openclaw 2026.3+`, `hermes 0.3.4`), or `pool-wrapper` for any behind the pool wrapper.
A bare word matches name, URL, tags, state, reason, runtime or conversation id, case-insensitively; `*` and `?` are wildcards.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from convos_tui.fleet.inventory import GatewayConfig
from convos_tui.fleet.state import FAULTS, GatewayState, State

FIELDS = ("state", "tag", "env", "name", "url", "shape", "conv", "origin", "runtime")


class FilterError(ValueError):
    """The expression cannot be understood; the message says why."""


@dataclass(frozen=True, slots=True)
class _Term:
    field: str | None
    values: tuple[str, ...]
    negate: bool


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _matches(pattern: str, text: str) -> bool:
    """`pattern` (lower case) in `text`: a substring, or a whole-text glob when it has wildcards."""
    text = text.lower()
    if _is_glob(pattern):
        return fnmatch.fnmatchcase(text, pattern)
    return pattern in text


class Filter:
    def __init__(self, expression: str = "") -> None:
        self.expression = expression.strip()
        self.terms = [self._term(word) for word in self.expression.split()]

    @staticmethod
    def _term(word: str) -> _Term:
        negate = word.startswith("-") and len(word) > 1
        if negate:
            word = word[1:]
        field, sep, value = word.partition(":")
        if not sep:
            return _Term(None, (word.lower(),), negate)
        field = field.lower()
        if field not in FIELDS:
            raise FilterError(f"unknown field {field!r} in {word!r}: use one of {', '.join(FIELDS)}")
        values = tuple(v.lower() for v in value.split(",") if v)
        if not values:
            raise FilterError(f"{word!r} has no value: write e.g. {field}:…")
        if field == "state":
            known = {str(s) for s in State} | {"faults", "fault"}
            wrong = [v for v in values if v not in known]
            if wrong:
                raise FilterError(
                    f"unknown state {wrong[0]!r}: use one of {', '.join(str(s) for s in State)} or faults"
                )
        return _Term(field, values, negate)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, config: GatewayConfig, state: GatewayState) -> bool:
        return all(self._check(term, config, state) != term.negate for term in self.terms)

    def _check(self, term: _Term, config: GatewayConfig, state: GatewayState) -> bool:
        conversation = (state.status.conversation_id or "") if state.status else ""
        if term.field is None:
            word = term.values[0]
            if not _is_glob(word):  # the common case, kept cheap: one search in text made once per gateway
                return (
                    word in config.search_text
                    or word in state.state
                    or word in state.reason.lower()
                    or (word in conversation.lower())
                    or word in state.runtime.label
                )
            haystack = (
                config.name, config.url, *config.tags, str(state.state), state.reason, conversation, state.runtime.label
            )  # fmt: skip
            return any(_matches(word, text) for text in haystack)
        if term.field == "state":
            return any(
                (value in ("faults", "fault") and state.state in FAULTS) or value == str(state.state)
                for value in term.values
            )
        if term.field == "tag":
            return any(_matches(value, tag) for value in term.values for tag in config.tags)
        if term.field == "env":
            return config.env in term.values
        if term.field == "shape":
            return state.status is not None and state.status.shape in term.values
        if term.field == "runtime":
            runtime = state.runtime
            names = (runtime.name or "unknown", runtime.label, *(("pool-wrapper",) if runtime.wrapper else ()))
            return any(_matches(value, name) for value in term.values for name in names)
        field_text = {"name": config.name, "url": config.url, "conv": conversation, "origin": config.origin}[term.field]
        return any(_matches(value, field_text) for value in term.values)
