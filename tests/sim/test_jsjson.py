"""V8's JSON.parse messages, which the plugin returns verbatim in its 500 answers."""

from __future__ import annotations

import pytest

from convos_tui.sim.jsjson import JsonSyntaxError, js_trim, parse, stringify


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{oops", "Expected property name or '}' in JSON at position 1 (line 1 column 2)"),  # transcript
        ('{"message":', "Unexpected end of JSON input"),  # transcript
        ("hello", "Unexpected token 'h', \"hello\" is not valid JSON"),
        ("undefined", '"undefined" is not valid JSON'),
        ('{"a":1,}', "Expected double-quoted property name in JSON at position 7 (line 1 column 8)"),
        ("[1,2", "Expected ',' or ']' after array element in JSON at position 4 (line 1 column 5)"),
        ('{"a":1', "Expected ',' or '}' after property value in JSON at position 6 (line 1 column 7)"),
        ('{"a" 1}', "Expected ':' after property name in JSON at position 5 (line 1 column 6)"),
        ('"abc', "Unterminated string in JSON at position 4 (line 1 column 5)"),
        ("{}x", "Unexpected non-whitespace character after JSON at position 2 (line 1 column 3)"),
        ("01", "Unexpected number in JSON at position 1 (line 1 column 2)"),
        ("-", "No number after minus sign in JSON at position 1 (line 1 column 2)"),
        ("1.", "Unterminated fractional number in JSON at position 2 (line 1 column 3)"),
        ("1e+", "Exponent part is missing a number in JSON at position 3 (line 1 column 4)"),
        ('"\\x"', "Bad escaped character in JSON at position 2 (line 1 column 3)"),
        ('"\\u12g4"', "Bad Unicode escape in JSON at position 5 (line 1 column 6)"),
        ('"a\tb"', "Bad control character in string literal in JSON at position 2 (line 1 column 3)"),
        # Under 21 characters the whole source is quoted; longer, 10 characters around the bad one.
        ('{\n  "a": 1,\n  "b": }', 'Unexpected token \'}\', "{\n  "a": 1,\n  "b": }" is not valid JSON'),
        ('{\n  "alpha": 1,\n  "beta": }', 'Unexpected token \'}\', ..."  "beta": }" is not valid JSON'),
        (
            "[1, 2, 3, 4, 5, 6, 7, 8, x, 9, 10, 11, 12]",
            "Unexpected token 'x', ...\" 6, 7, 8, x, 9, 10, \"... is not valid JSON",
        ),
        ("this is not json at all", "Unexpected token 'h', \"this is not\"... is not valid JSON"),
        # \r\n counts as one line break.
        ('{"a":[1,2,3]\r\n,\r\n"b" x}', "Expected ':' after property name in JSON at position 21 (line 3 column 5)"),
        ("\ufeff{}", "Unexpected token '\ufeff', \"\ufeff{}\" is not valid JSON"),
    ],
)
def test_v8_messages(text: str, message: str) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_valid_json_parses_including_deep_nesting() -> None:
    assert parse('{"a":[1,true,null,"x\\u00e9"]}') == {"a": [1, True, None, "xé"]}
    deep = parse("[" * 20000 + "]" * 20000)
    assert isinstance(deep, list)
    with pytest.raises(JsonSyntaxError):
        parse("NaN")


def test_stringify_is_compact_and_escapes_lone_surrogates() -> None:
    assert stringify({"a": "é ›", "b": [1, None]}) == '{"a":"é ›","b":[1,null]}'
    assert stringify("\ud800") == '"\\ud800"'


def test_js_trim_differs_from_python_strip() -> None:
    assert js_trim("\ufeff \u00a0x\u2028") == "x"
    assert js_trim("\x1cx") == "\x1cx"
