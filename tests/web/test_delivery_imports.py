"""The e-mail modules import in one direction: delivery <- tasks <- escalation <- reminders.

Issue 13: ``outcomes/reminders.py`` and ``outcomes/tasks.py`` imported each other (one at the
top, the other inside functions). Each module is imported alone in a fresh interpreter, and
the import graph of the four modules, counting imports inside functions, has no cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import balm.outcomes

MODULES = ["delivery", "tasks", "escalation", "reminders"]
HERE = Path(balm.outcomes.__file__).parent


@pytest.mark.parametrize("name", MODULES)
def test_each_module_imports_alone_in_a_fresh_interpreter(name: str) -> None:
    code = (
        "import django; django.setup(); import importlib; "
        f"importlib.import_module('balm.outcomes.{name}')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "balm.web.settings_test", "PATH": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _imports(name: str) -> set[str]:
    """The other modules of :data:`MODULES` that ``name`` imports, anywhere in the file."""
    tree = ast.parse((HERE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in MODULES if f"balm.outcomes.{m}" in found and m != name}


def test_no_cycle_even_through_imports_inside_functions() -> None:
    graph = {name: _imports(name) for name in MODULES}
    assert graph["tasks"] >= {"delivery"} and graph["reminders"] >= {"tasks"}  # not vacuous

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in graph[start]
        )

    assert [name for name in MODULES if reaches(name, name)] == [], graph
