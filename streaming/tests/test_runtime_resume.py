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
