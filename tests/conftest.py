"""Settings shared by the whole suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# How many examples a property test draws when it does not pin its own count: enough in every
# run to reach each instrument of the catalogue several times. ``pytest
# --hypothesis-profile=long`` draws ten times as many, for a search outside ``make test``.
settings.register_profile("balm", max_examples=300)
settings.register_profile("long", settings.get_profile("balm"), max_examples=3000)
# Under CI the property tests draw the same examples every run, so a pass or a failure is
# reproducible from the commit alone; locally they keep exploring new examples (and keep any
# failure they find in .hypothesis/ to replay it).
settings.register_profile("ci", settings.get_profile("balm"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "balm")


# pytest-django refuses database access to a test that has neither the ``django_db`` mark nor
# one of these fixtures (directly or through the fixtures it uses), so such a test's outcome
# cannot depend on the database the settings name.
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "live_server", "django_db_setup", "django_db_serialized_rollback"}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="deselect the tests that cannot reach the test database (the PostgreSQL pass "
        "of make test: they ran unchanged in the SQLite pass; docs/TESTING.md)",
    )


def reaches_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


GROUP_LOST = pytest.StashKey[bool]()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.stash.get(GROUP_LOST, False):
        pytest.fail(
            "--dist loadgroup lost this test's xdist_group: this pytest and pytest-xdist do not "
            "keep a group on one worker (pytest-dev/pytest-xdist#1386; pytest 9.1.1 does)",
            pytrace=False,
        )


@pytest.hookimpl(trylast=True)  # after xdist has named each test's group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # ``--dist loadgroup`` keeps an ``xdist_group``'s tests on one worker (one Chromium, a
    # module's fixtures built once) by adding ``@<group>`` to their node ids in the worker.
    # pytest 9.2 ignores that change, and the tests are then spread one by one, silently
    # (pytest-dev/pytest-xdist#1386): each such test then fails, saying why.
    if getattr(config.option, "loadgroup", False):
        for item in items:
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
                item.stash[GROUP_LOST] = True
    if config.getoption("database_tests_only"):
        dropped = [item for item in items if not reaches_database(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if reaches_database(item)]
    # The ``slow`` tests first (a stable sort: otherwise in collection order), so that with
    # two workers (xdist hands tests out in this order) neither is left running a long test
    # alone at the end.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
