"""The accessibility scan itself works: it finds problems planted in a page."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import FAILING_IMPACTS, axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

BAD_PAGE = """<!doctype html><html><head><title>bad</title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input type="text" name="unlabelled"></form>
<p style="color:#aaa;background:#fff">Pale grey text on white.</p>
</body></html>"""


def test_axe_reports_planted_problems(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(BAD_PAGE)
    violations = axe_violations(page)
    found = {v["id"] for v in violations if v["impact"] in FAILING_IMPACTS}
    print(describe(violations))
    assert {"image-alt", "label", "color-contrast"} <= found
    page.close()
