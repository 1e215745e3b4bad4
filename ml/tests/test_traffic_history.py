"""The order of one traffic change (pure logic): nothing mirrored reaches a deployment recorded as live."""

from __future__ import annotations

from ml.serving.traffic_history import Apply, Record, traffic_steps


def test_a_shift_after_the_mirror_step_stops_mirroring_first_then_records_both_sides() -> None:
    steps = traffic_steps({"blue": 100, "green": 0}, {"green": 20}, {"blue": 90, "green": 10}, {})
    assert steps == [
        Apply({"blue": 100, "green": 0}, {}, drain=True),
        Record(frozenset({"blue", "green"}), mirror=frozenset()),
        Apply({"blue": 90, "green": 10}, {}),
        Record(frozenset({"blue", "green"}), mirror=frozenset()),
    ]


def test_entering_the_mirror_step_records_the_unchanged_live_set() -> None:
    steps = traffic_steps({"blue": 100, "green": 0}, {}, {"blue": 100, "green": 0}, {"green": 20})
    assert steps == [
        Record(frozenset({"blue"}), mirror=frozenset({"green"})),
        Apply({"blue": 100, "green": 0}, {"green": 20}),
        Record(frozenset({"blue"}), mirror=frozenset({"green"})),
    ]


def test_a_rollback_counts_the_leaving_deployment_live_until_it_is_applied() -> None:
    steps = traffic_steps({"blue": 50, "green": 50}, {}, {"blue": 100}, {})
    assert steps == [
        Record(frozenset({"blue", "green"})),
        Apply({"blue": 100}, {}),
        Record(frozenset({"blue"})),
    ]
