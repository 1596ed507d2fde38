"""Settings shared by the whole suite."""

from __future__ import annotations

import os

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
