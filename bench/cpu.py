"""CPU time of processes and of the whole machine, read from /proc (Linux).

Shared by the benchmarks: each reports what every process of a run used, and how busy
the machine was before it started, since other jobs on the same cores skew every figure.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int, reaped_children: bool = False) -> float:
    """CPU seconds (user + system, all threads) a process has used; with
    `reaped_children`, also what its children that have exited used. NaN once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def postgres_cpu() -> float:
    """The whole PostgreSQL server's CPU seconds, backends that already exited included.

    SQLAlchemy's overflow connections come and go during a phase; the postmaster collects
    each exited backend's time, so nothing leaves the sum (the server is shared: another
    client's queries count too).
    """
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    seconds = process_cpu(int(entry.name), reaped_children=True)
                    total += 0.0 if math.isnan(seconds) else seconds  # gone meanwhile
    return total


def machine_cpu() -> tuple[float, float]:
    """Busy and total jiffies of the whole machine (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def machine_busy(seconds: float = 2.0) -> float:
    """How busy the machine is right now, in % of one core."""
    busy, total = machine_cpu()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu()
    cores = os.cpu_count() or 1
    return 100 * cores * (busy_after - busy) / max(1, total_after - total)
