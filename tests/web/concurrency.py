"""Run the same code in several threads released together, each on its own database
connection (closed afterwards), as several requests or workers would on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(
    target: Callable[[], Any], count: int = 4
) -> tuple[list[Any], list[BaseException]]:
    """``target()`` in ``count`` threads started at once: their results and their errors."""
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            results.append(target())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
