"""The logged features read back the same way by every reader (export rows, drift's records.json)."""

from __future__ import annotations

import pytest

from environments.inference_log import parse_features


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"amount": 12.5, "channel": "web"}', {"amount": 12.5, "channel": "web"}),
        ({"amount": 12.5}, {"amount": 12.5}),
        (None, {}),
        ("", {}),
    ],
)
def test_features_from_text_or_object(value, expected) -> None:
    assert parse_features(value) == expected


def test_text_that_is_not_json_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"features are not JSON: .* in '\{amount: 1'"):
        parse_features("{amount: 1")


@pytest.mark.parametrize("value", ["[1, 2]", [1, 2], "3"])
def test_features_that_are_not_an_object_are_refused(value) -> None:
    with pytest.raises(ValueError, match=r"features must be a JSON object, got (list|int)"):
        parse_features(value)
