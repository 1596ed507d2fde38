"""Settings shared by the whole suite."""

from __future__ import annotations

import os

from hypothesis import settings

# Under CI the property tests draw the same examples every run, so a pass or a failure is
# reproducible from the commit alone; locally they keep exploring new examples (and keep any
# failure they find in .hypothesis/ to replay it).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
