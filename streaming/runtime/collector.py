"""Python's cyclic garbage collector, set for a process that turns batches of events into rows.

Each cycle allocates hundreds of thousands of short-lived dicts and lists that reference counting
frees; none of them form cycles. With the default thresholds (700, 10, 10) the collector still runs
a young collection every 700 allocations and, every hundred of those, a full one over every object
the process holds (the Azure SDK, Kafka client, numpy: hundreds of thousands of objects). Measured on
the throughput benchmark: the runtime thread spent about a third of its CPU time there.

While the loop runs: everything loaded at start is frozen (never scanned again) and the young
generation is collected every 50,000 allocations; on return the previous settings come back.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def tuned_for_batches() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
