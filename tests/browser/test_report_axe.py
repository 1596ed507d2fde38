"""The evaluation report's HTML (every section, joint displays, linked numbers) passes an axe
scan in Chromium; full-page screenshots go to test-results/browser/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.report.test_report_joint import _build, _files

from balm.report import ReportOptions, to_html

from .conftest import RESULTS_DIR, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("shareable", [False, True], ids=["full", "shareable"])
def test_report_html_passes_axe(browser: Any, tmp_path: Path, shareable: bool) -> None:
    report = _build(_files(tmp_path), ReportOptions(shareable=shareable), figures_on=True)
    html = to_html(report, link=lambda key: f"#behind-{key.replace(':', '-')}")
    assert '<a href="#behind-jd-jd_presence' in html
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.set_content(html)
    folder = RESULTS_DIR / "report"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"report-{'shareable' if shareable else 'full'}.png"),
                    full_page=True)  # fmt: skip
    assert_accessible(page, f"report ({'shareable' if shareable else 'full'})")
    page.close()
