import gc

from streaming.runtime.collector import BATCH_THRESHOLDS, tuned_for_batches


def test_batch_thresholds_apply_while_running_and_the_previous_ones_come_back() -> None:
    before = gc.get_threshold()
    with tuned_for_batches():
        assert gc.get_threshold() == BATCH_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
