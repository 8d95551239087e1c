"""What grew between two of bench/traced.py's records: object counts, or tracemalloc lines.

python bench/heap_diff.py DIR/objects-0002.json DIR/objects-0009.json
python bench/heap_diff.py DIR/snapshot-0002.pickle DIR/snapshot-0009.pickle
python bench/heap_diff.py OLD.pickle NEW.pickle --traceback --top 5   # whole stacks
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from pathlib import Path

IGNORED = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    tracemalloc.Filter(False, "<unknown>"),
)


def object_diff(old: Path, new: Path, top: int) -> None:
    before = json.loads(old.read_text())
    after = json.loads(new.read_text())
    grown = sorted(after, key=lambda name: before.get(name, 0) - after[name])
    print(f"objects: {sum(before.values()):,} -> {sum(after.values()):,}")
    for name in grown[:top]:
        print(f"{after[name] - before.get(name, 0):+10,d}  (now {after[name]:,})  {name}")


def snapshot_diff(old: Path, new: Path, top: int, traceback: bool) -> None:
    before = tracemalloc.Snapshot.load(str(old)).filter_traces(IGNORED)
    after = tracemalloc.Snapshot.load(str(new)).filter_traces(IGNORED)
    total_before = sum(stat.size for stat in before.statistics("filename"))
    total_after = sum(stat.size for stat in after.statistics("filename"))
    print(f"traced: {total_before / 2**20:.1f} MB -> {total_after / 2**20:.1f} MB")
    for difference in after.compare_to(before, "traceback" if traceback else "lineno")[:top]:
        print(
            f"{difference.size_diff / 2**10:+9.0f} KiB {difference.count_diff:+8d} blocks  "
            f"(now {difference.size / 2**10:.0f} KiB)"
        )
        for line in difference.traceback.format(limit=None if traceback else 1):
            print("    " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--traceback", action="store_true", help="group by whole stack")
    options = parser.parse_args()
    if options.old.suffix == ".json":
        object_diff(options.old, options.new, options.top)
    else:
        snapshot_diff(options.old, options.new, options.top, options.traceback)


if __name__ == "__main__":
    main()
