"""Column names from real exports map onto canonical fields; overrides win; errors are clear."""

import pytest

from app.core.errors import InputError
from app.io.mapping import flatten_record, guess_mapping, parse_overrides, resolve_mapping


def test_guesses_common_names():
    cols = ["request_id", "user", "startTime", "requester_ip_address", "model", "prompt_tokens",
            "completion_tokens", "team_id", "User-Agent"]
    m = guess_mapping(cols)
    assert m["user"] == "account" and m["startTime"] == "timestamp"
    assert m["requester_ip_address"] == "ip" and m["User-Agent"] == "user_agent"
    assert m["prompt_tokens"] == "input_tokens" and m["completion_tokens"] == "output_tokens"
    assert m["team_id"] == "org" and m["request_id"] == "request_id"


def test_nested_paths_match_on_last_part():
    m = guess_mapping(["identity.arn", "timestamp", "input.inputTokenCount"])
    assert m["identity.arn"] == "account"
    assert m["input.inputTokenCount"] == "input_tokens"


def test_override_replaces_guess_for_that_field():
    m = resolve_mapping(["user", "key_alias", "ts"], parse_overrides(["key_alias=account"]), "f.csv")
    assert m == {"key_alias": "account", "ts": "timestamp"}


def test_missing_required_field_names_it_and_the_columns():
    with pytest.raises(InputError) as err:
        resolve_mapping(["foo", "bar", "ts"], {}, "f.csv")
    assert "'account'" in str(err.value) and "foo, bar, ts" in str(err.value)
    assert "--map COLUMN=account" in str(err.value)


def test_bad_overrides():
    with pytest.raises(InputError, match="unknown field 'acount'"):
        parse_overrides(["x=acount"])
    with pytest.raises(InputError, match="SOURCE_COLUMN=FIELD"):
        parse_overrides(["x"])
    with pytest.raises(InputError, match="not in the file: nope"):
        resolve_mapping(["user", "ts"], {"nope": "account"}, "f.csv")


def test_flatten_record():
    flat = flatten_record({"a": {"b": 1, "c": {"d": "x"}}, "l": [1, 2], "s": "v"})
    assert flat == {"a.b": 1, "a.c.d": "x", "l": "[1, 2]", "s": "v"}
