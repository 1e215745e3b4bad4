"""Where a partition resumes when its checkpoint offset does not fit the broker's range (pure)."""

from __future__ import annotations

from streaming.runtime.resume import resume_position


def test_offset_inside_the_range_is_kept() -> None:
    resume = resume_position(0, 40, 0, 100)
    assert (resume.offset, resume.reason) == (40, None)
    assert resume_position(0, 100, 0, 100).offset == 100  # at the end: wait for the next event


def test_offset_past_the_end_resumes_at_the_earliest_event() -> None:
    resume = resume_position(1, 8347, 0, 1000)
    assert resume.offset == 0
    assert "partition 1" in resume.message and "8347" in resume.message and "[0, 1000]" in resume.message
    assert "recreated" in resume.message


def test_offset_before_the_start_says_how_many_events_retention_removed() -> None:
    resume = resume_position(0, 10, 250, 900)
    assert resume.offset == 250
    assert "240 events were removed" in resume.message


def test_a_recreated_topic_starts_over_even_inside_the_range() -> None:
    resume = resume_position(0, 40, 0, 100, topic="recreated")
    assert resume.offset == 0 and "recreated" in resume.message


def test_the_same_topic_keeps_an_offset_past_a_reported_end() -> None:
    """Same topic id: the log is the checkpoint's; a high watermark below it is the broker's error."""
    assert resume_position(0, 151, 0, 1, topic="same").offset == 151
    assert resume_position(0, 10, 250, 900, topic="same").offset == 250  # retention still applies
