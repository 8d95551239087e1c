"""Run a Python script while saving, every `interval` seconds, what its heap holds.

The soak's `--trace-memory DIR` starts the server through this, so that a growing RSS can
be traced to what grows. Two kinds of record, one file per interval:

- `objects-NNNN.json`: live objects counted by type, with `sys.getallocatedblocks()`.
  Cheap (a GC walk per interval, no cost per allocation), so the soak keeps its pace; if
  the counts stay flat while RSS grows, the growth is outside Python objects (the
  allocator's fragmentation, a C library's cache). Compare two with `bench/heap_diff.py`.
- with `--frames N`, also `snapshot-NNNN.pickle`: a tracemalloc snapshot, naming the lines
  that allocated what is live. Tracing costs several times the CPU per message, so run
  such a soak at a fraction of the rate; its latencies are not the bot's.

    python bench/traced.py DIR SECONDS [--frames N] main.py serve
"""

from __future__ import annotations

import gc
import json
import runpy
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path


def object_counts() -> dict[str, int]:
    counts = Counter(type(item).__qualname__ for item in gc.get_objects())
    counts["(allocated blocks)"] = sys.getallocatedblocks()
    return dict(counts)


def save(folder: Path, interval: float) -> None:
    """Forever: one record per `interval`, numbered from 0."""
    started = time.monotonic()
    number = 0
    while True:
        time.sleep(max(0.0, started + number * interval - time.monotonic()))
        (folder / f"objects-{number:04d}.json").write_text(json.dumps(object_counts()))
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(str(folder / f"snapshot-{number:04d}.pickle"))
        number += 1


def main() -> None:
    folder, interval, *rest = sys.argv[1:]
    if rest[0] == "--frames":
        tracemalloc.start(int(rest[1]))
        rest = rest[2:]
    script, *arguments = rest
    Path(folder).mkdir(parents=True, exist_ok=True)
    threading.Thread(target=save, args=(Path(folder), float(interval)), daemon=True).start()
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
