"""JSON the way the gateway's Node.js runtime does it.

The plugin answers a malformed body with `500 {"error": <V8's JSON.parse message>}`, so the simulator must
produce V8's exact messages (Node 24 wording, with the "(line L column C)" suffix the transcript shows).
The parser below follows V8's `json-parser.cc`: the same token classes, the same checks in the same order,
positions counted in UTF-16 code units. Valid input goes through Python's C `json` first for speed; only a
body Python rejects (or nests too deeply for it) runs through the emulation.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

__all__ = ["JsonSyntaxError", "js_trim", "parse", "property_read_error", "string_width", "stringify"]


class JsonSyntaxError(ValueError):
    """A JSON.parse failure; `str(error)` is V8's message."""


# Characters String.prototype.trim removes (ECMAScript WhiteSpace + LineTerminator). Not the same set as
# Python's str.strip(): JS trims U+FEFF and does not trim U+001C-U+001F or U+0085.
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    return text.strip(_JS_WHITESPACE)


def property_read_error(key: str) -> str:
    """The TypeError message of `null.<key>`: what the plugin answers when the body is the JSON `null`."""
    return f"Cannot read properties of null (reading '{key}')"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def stringify(value: Any) -> str:
    """JSON.stringify: compact, non-ASCII kept raw, lone surrogates escaped (well-formed stringify)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def string_width(text: str) -> int:
    """Terminal columns of `text` (wide East Asian characters count two), as string-width measures."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not JSON for V8


def parse(text: str) -> Any:
    """JSON.parse(text): a Python value, or JsonSyntaxError carrying V8's message."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        pass
    return _V8Parser(text).parse()


# ---- the emulation -------------------------------------------------------------------------------------

# V8's message templates (src/common/message-template.h).
_EOS_MSG = "Unexpected end of JSON input"
_MSG = {
    "number": "Unexpected number in JSON at position {p} (line {l} column {c})",
    "string": "Unexpected string in JSON at position {p} (line {l} column {c})",
    "unterminated": "Unterminated string in JSON at position {p} (line {l} column {c})",
    "prop_or_rbrace": "Expected property name or '}}' in JSON at position {p} (line {l} column {c})",
    "comma_or_rbrack": "Expected ',' or ']' after array element in JSON at position {p} (line {l} column {c})",
    "comma_or_rbrace": "Expected ',' or '}}' after property value in JSON at position {p} (line {l} column {c})",
    "dq_prop": "Expected double-quoted property name in JSON at position {p} (line {l} column {c})",
    "exponent": "Exponent part is missing a number in JSON at position {p} (line {l} column {c})",
    "colon": "Expected ':' after property name in JSON at position {p} (line {l} column {c})",
    "fraction": "Unterminated fractional number in JSON at position {p} (line {l} column {c})",
    "non_ws": "Unexpected non-whitespace character after JSON at position {p} (line {l} column {c})",
    "bad_escape": "Bad escaped character in JSON at position {p} (line {l} column {c})",
    "bad_control": "Bad control character in string literal in JSON at position {p} (line {l} column {c})",
    "bad_unicode": "Bad Unicode escape in JSON at position {p} (line {l} column {c})",
    "minus": "No number after minus sign in JSON at position {p} (line {l} column {c})",
}
_MAX_CONTEXT = 10  # kMaxContextCharacters
_MIN_FOR_CONTEXT = 2 * _MAX_CONTEXT + 1  # kMinOriginalSourceLengthForContext
_SPECIAL = ("[object Object]", "undefined", "Infinity", "NaN")

# JsonToken classes of one character (V8's one_char_json_tokens); anything above U+00FF is ILLEGAL.
_EOS, _NUMBER, _STRING, _ILLEGAL, _WS = "EOS", "NUMBER", "STRING", "ILLEGAL", "WS"
_TOKEN_OF = {
    '"': _STRING,
    "-": _NUMBER,
    "[": "[",
    "{": "{",
    "]": "]",
    "}": "}",
    "t": "t",
    "f": "f",
    "n": "n",
    " ": _WS,
    "\t": _WS,
    "\r": _WS,
    "\n": _WS,
    ":": ":",
    ",": ",",
}
_TOKEN_OF.update({d: _NUMBER for d in "0123456789"})
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_NUMBER_PART = set(".eE0123456789-+")
_HEX = set("0123456789abcdefABCDEF")


def _token(ch: str | None) -> str:
    if ch is None:
        return _EOS
    return _TOKEN_OF.get(ch, _ILLEGAL)


def _utf16_units(text: str) -> str:
    """`text` with every astral character split into its surrogate pair, so indexes are UTF-16 positions."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return text
    out = []
    for ch in text:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out.append(chr(0xD800 + (cp >> 10)))
            out.append(chr(0xDC00 + (cp & 0x3FF)))
        else:
            out.append(ch)
    return "".join(out)


def _from_utf16_units(units: str) -> str:
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class _V8Parser:
    """An iterative port of V8's JsonParser (so deep nesting cannot overflow Python's stack)."""

    def __init__(self, text: str) -> None:
        self.src = _utf16_units(text)
        self.end = len(self.src)
        self.pos = 0

    # -- cursor helpers (V8: CurrentCharacter / NextCharacter / SkipWhitespace) --
    def cur(self) -> str | None:
        return self.src[self.pos] if self.pos < self.end else None

    def next(self) -> str | None:
        self.pos += 1
        return self.cur()

    def skip_ws(self) -> str:
        while self.pos < self.end and self.src[self.pos] in " \t\r\n":
            self.pos += 1
        return _token(self.cur())

    # -- errors (V8: ReportUnexpectedToken) --
    def fail(self, token: str, message: str | None = None) -> JsonSyntaxError:
        pos = self.pos
        line, last_break, i = 1, 0, 0
        while i < pos:
            ch = self.src[i]
            if ch == "\r" and i < pos - 1 and self.src[i + 1] == "\n":
                i += 1
                ch = "\n"
            if ch in "\r\n":
                line += 1
                last_break = i + 1
            i += 1
        column = 1 + pos - last_break
        if message is not None:
            return JsonSyntaxError(_MSG[message].format(p=pos, l=line, c=column))
        if token == _EOS:
            return JsonSyntaxError(_EOS_MSG)
        if token == _NUMBER:
            return JsonSyntaxError(_MSG["number"].format(p=pos, l=line, c=column))
        if token == _STRING:
            return JsonSyntaxError(_MSG["string"].format(p=pos, l=line, c=column))
        source = _from_utf16_units(self.src)
        if self.src in _SPECIAL:
            return JsonSyntaxError(f'"{source}" is not valid JSON')
        bad = _from_utf16_units(self.src[pos])
        if self.end < _MIN_FOR_CONTEXT:
            return JsonSyntaxError(f"Unexpected token '{bad}', \"{source}\" is not valid JSON")
        if pos < _MAX_CONTEXT:
            ctx = _from_utf16_units(self.src[: pos + _MAX_CONTEXT])
            return JsonSyntaxError(f"Unexpected token '{bad}', \"{ctx}\"... is not valid JSON")
        if pos < self.end - _MAX_CONTEXT:
            ctx = _from_utf16_units(self.src[pos - _MAX_CONTEXT : pos + _MAX_CONTEXT])
            return JsonSyntaxError(f"Unexpected token '{bad}', ...\"{ctx}\"... is not valid JSON")
        ctx = _from_utf16_units(self.src[pos - _MAX_CONTEXT :])
        return JsonSyntaxError(f"Unexpected token '{bad}', ...\"{ctx}\" is not valid JSON")

    def fail_char(self) -> JsonSyntaxError:
        """V8: ReportUnexpectedCharacter(CurrentCharacter())."""
        return self.fail(_token(self.cur()))

    # -- scalars --
    def scan_string(self) -> str:
        """Cursor just after the opening quote; returns the decoded string, cursor after the closing quote."""
        out: list[str] = []
        while True:
            start = self.pos
            while self.pos < self.end:
                ch = self.src[self.pos]
                if ch == '"' or ch == "\\" or ch < " ":
                    break
                self.pos += 1
            out.append(self.src[start : self.pos])
            if self.pos >= self.end:
                raise self.fail(_ILLEGAL, "unterminated")
            ch = self.src[self.pos]
            if ch == '"':
                self.pos += 1
                return _from_utf16_units("".join(out))
            if ch == "\\":
                esc = self.next()
                if esc is None or ord(esc) > 0xFF:
                    raise self.fail_char()
                if esc in _ESCAPES:
                    out.append(_ESCAPES[esc])
                elif esc == "u":
                    digits = ""
                    for _ in range(4):
                        d = self.next()
                        if d is None or d not in _HEX:
                            raise self.fail(_ILLEGAL, "bad_unicode")
                        digits += d
                    out.append(chr(int(digits, 16)))
                else:
                    raise self.fail(_ILLEGAL, "bad_escape")
                self.pos += 1
                continue
            raise self.fail(_ILLEGAL, "bad_control")

    def scan_literal(self, word: str, value: Any) -> Any:
        if self.src.startswith(word, self.pos):
            self.pos += len(word)
            return value
        remaining = self.end - self.pos
        self.pos += 1
        for i in range(min(len(word) - 1, remaining - 1)):
            if word[1 + i] != self.src[self.pos]:
                raise self.fail_char()
            self.pos += 1
        raise self.fail(_EOS)

    def scan_number(self) -> float | int:
        start = self.pos
        sign = 1
        c = self.cur()
        if c == "-":
            sign = -1
            c = self.next()
        if c == "0":
            c = self.next()
            if c is not None and c in _NUMBER_PART:
                if c.isdigit() and c in "0123456789":
                    raise self.fail(_NUMBER)
            elif sign > 0:
                return 0
        else:
            digits_start = self.pos
            while self.pos < self.end and self.src[self.pos] in "0123456789":
                self.pos += 1
            if self.pos == digits_start:
                raise self.fail(_ILLEGAL, "minus")
        if self.cur() == ".":
            c = self.next()
            if c is None or c not in "0123456789":
                raise self.fail(_ILLEGAL, "fraction")
            while self.pos < self.end and self.src[self.pos] in "0123456789":
                self.pos += 1
        if self.cur() in ("e", "E"):
            c = self.next()
            if c in ("-", "+"):
                c = self.next()
            if c is None or c not in "0123456789":
                raise self.fail(_ILLEGAL, "exponent")
            while self.pos < self.end and self.src[self.pos] in "0123456789":
                self.pos += 1
        number = float(self.src[start : self.pos])
        return int(number) if number.is_integer() and abs(number) < 2**53 else number

    # -- structure --
    def parse(self) -> Any:
        # Each frame is [container, pending_key]; a produced value is attached to the top frame.
        stack: list[list[Any]] = []
        while True:
            # Produce one value.
            token = self.skip_ws()
            if token == _STRING:
                self.pos += 1
                value: Any = self.scan_string()
            elif token == _NUMBER:
                value = self.scan_number()
            elif token == "t":
                value = self.scan_literal("true", True)
            elif token == "f":
                value = self.scan_literal("false", False)
            elif token == "n":
                value = self.scan_literal("null", None)
            elif token == "{":
                self.pos += 1
                if self.skip_ws() == "}":
                    self.pos += 1
                    value = {}
                else:
                    stack.append([{}, self.property_key("prop_or_rbrace")])
                    continue
            elif token == "[":
                self.pos += 1
                if self.skip_ws() == "]":
                    self.pos += 1
                    value = []
                else:
                    stack.append([[], None])
                    continue
            else:
                raise self.fail_char()
            # Consume produced values while containers close.
            while True:
                if not stack:
                    if self.skip_ws() != _EOS:
                        raise self.fail(self.skip_ws(), "non_ws")
                    return value
                frame = stack[-1]
                container = frame[0]
                if isinstance(container, dict):
                    container[frame[1]] = value
                    if self.skip_ws() == ",":
                        self.pos += 1
                        frame[1] = self.property_key("dq_prop")
                        break
                    if self.skip_ws() != "}":
                        raise self.fail(self.skip_ws(), "comma_or_rbrace")
                else:
                    container.append(value)
                    if self.skip_ws() == ",":
                        self.pos += 1
                        break
                    if self.skip_ws() != "]":
                        raise self.fail(self.skip_ws(), "comma_or_rbrack")
                self.pos += 1
                value = container
                stack.pop()

    def property_key(self, message: str) -> str:
        """ExpectNext(STRING, message), the key, then ExpectNext(COLON)."""
        token = self.skip_ws()
        if token != _STRING:
            raise self.fail(token, message)
        self.pos += 1
        key = self.scan_string()
        token = self.skip_ws()
        if token != ":":
            raise self.fail(token, "colon")
        self.pos += 1
        return key
