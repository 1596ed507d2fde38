"""How fast this machine runs Python right now: a yardstick printed beside a benchmark's figures.

The build machine is shared and its speed moves from day to day by more than most changes do
(the check-ins export, whose code did not change, gave 84,602 rows/s in one session and 39,260
in another). A fixed piece of pure Python timed just before the figures lets two runs be
compared: figures taken with a yardstick twice as long come from a machine half as fast.
"""

from __future__ import annotations

import time

#: Additions in the timed loop.
LOOP = 5_000_000


def _loop() -> float:
    began = time.process_time()
    total = 0
    for n in range(LOOP):
        total += n
    assert total == LOOP * (LOOP - 1) // 2
    return time.process_time() - began


def yardstick(rounds: int = 3) -> str:
    """The least CPU time of ``rounds`` runs of a loop of :data:`LOOP` integer additions, as a
    line to print (the least: what the machine can do when nothing else takes the core)."""
    best = min(_loop() for _ in range(rounds))
    return f"machine yardstick: {LOOP:,} additions in pure Python took {best * 1000:.0f} ms of CPU"
