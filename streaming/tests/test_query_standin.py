"""The query tests' scoring stand-in scores any schema's rows: deterministic, in [0, 1], field order
irrelevant, a null field named in the error."""

from __future__ import annotations

from streaming.querytest.standin import STAND_IN_MODEL_VERSION, stand_in_score


def test_any_schema_row_gets_a_deterministic_score() -> None:
    card = {"transaction_id": "t-1", "amount": 120.5, "is_foreign": False, "merchant_category": "fuel"}
    tumour = {"sample_id": "s-1", "mean_radius": 14.2, "worst_area": 880.0, "size_class": "large"}
    for row in (card, tumour):
        result = stand_in_score(row)
        assert result == stand_in_score(dict(reversed(list(row.items()))))
        assert 0.0 <= result["score"] <= 1.0 and result["error"] is None
        assert result["model_version"] == STAND_IN_MODEL_VERSION
    assert stand_in_score(tumour)["score"] != stand_in_score({**tumour, "mean_radius": 14.3})["score"]


def test_a_null_field_is_named_and_not_scored() -> None:
    result = stand_in_score({"sample_id": "s-1", "mean_radius": None, "size_class": None})
    assert (result["score"], result["error"]) == (None, "mean_radius: missing")
