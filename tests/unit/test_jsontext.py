"""JSON text as ingest reads and writes it: numbers exact, keys named twice and deep nesting noticed."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.ingest import jsontext

#: Strings that try to pass for the encoder's Decimal mark, with NULs, quotes and backslashes around it.
TRICKY = st.sampled_from(["\u0000dec:1", "\\u0000dec:2", '"\u0000dec:3"', "\u0000dec:", "x\u0000", "\\", '"'])
STRINGS = st.one_of(st.text(max_size=12), TRICKY, st.builds(lambda a, b: a + b, TRICKY, st.text(max_size=4)))
NUMBERS = st.one_of(st.integers(), st.decimals(allow_nan=False, allow_infinity=False, places=None))
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(STRINGS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_dump_exact_writes_every_number_as_parsed_and_every_string_as_it_was(value):
    text = jsontext.dump_exact(value)
    assert text == jsontext._dump_slow(value)  # the C-speed path and the plain walk agree to the byte
    assert json.loads(text, parse_float=Decimal) == value  # and it reads back to the same value, exactly


def test_dump_exact_keeps_the_text_of_numbers_a_float_would_change():
    doc = '{"cost":0.123456789012345678,"q":1E+3,"z":-0.0,"s":"\\u0000dec:9"}'
    assert jsontext.dump_exact(jsontext.loads(doc)) == doc


def test_a_key_named_twice_and_deep_nesting_are_problems_not_choices():
    assert jsontext.record_problem(jsontext.loads('{"a": 1, "b": {"c": 2, "c": 3}}')) == (
        "duplicate key 'c' in one JSON object: which value counts would be a silent choice"
    )
    assert jsontext.record_problem(jsontext.loads('{"a": 1, "b": {"c": 2}}')) is None
    deep = "[" * (jsontext.MAX_JSON_DEPTH + 1) + "]" * (jsontext.MAX_JSON_DEPTH + 1)
    assert jsontext.record_problem(jsontext.loads(deep)) == jsontext.TOO_DEEP_REASON
    cut = jsontext.cut_deep('{"ok": "[{", "deep": ' + "[" * 10_000 + "]" * 10_000 + ', "after": 1}')
    assert jsontext.record_problem(json.loads(cut)) == jsontext.TOO_DEEP_REASON
    assert json.loads(cut)["after"] == 1 and json.loads(cut)["ok"] == "[{"  # brackets in strings are text
