"""Browser tests: Playwright (Python) driving the system Chromium against pytest-django's
``live_server``, with an axe-core accessibility scan and a screenshot of every main page.

Needs ``/usr/bin/chromium`` (Debian's package; Playwright's own browser downloads are not used)
and ``node_modules/axe-core`` (``npm install`` at the repository root, done by the Makefile).
Without them the tests are skipped, except under ``CI=true``, where that is an error.

Screenshots go to ``test-results/browser/<test name>/`` at the repository root (git-ignored).

Every browser context listens for Content-Security-Policy violations (the page's
``securitypolicyviolation`` events and Chromium's "Refused to ..." console messages): any
one fails the test, at the next :meth:`Shots.check` and at the end of the test. axe-core is
run through the DevTools protocol (``page.evaluate``), which the policy does not govern, so
the scan needs no exception in the policy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import World, world  # noqa: F401  (re-exported fixture)

from balm.accounts.actions import issue_participant_link
from balm.programmes.actions import change_enrolment_status

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS_DIR = REPO_ROOT / "test-results" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # On a closed network Chromium's own background connections are refused; keep it quiet.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36"
    ),
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PASSWORD = "correct horse"  # tests.web.factories.user
CRISIS_CONTACTS = (
    "If you are in danger now, call 999 or go to A&E.\n"
    "Samaritans: call 116 123, free, any time (test data)."
)
FAILING_IMPACTS = ("serious", "critical")
# The Django admin's pages: "<page> | balm admin" (balm.web.admin_site.BalmAdminSite).
ADMIN_TITLE = r"[^<>\n]{1,80} \| balm admin"


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not AXE_JS.is_file():
        missing.append("node_modules/axe-core (npm install at the repository root)")
    return missing


@pytest.fixture
def browser_tools() -> None:
    """Skip without Chromium or axe-core; under CI=true a missing tool fails instead."""
    missing = _missing()
    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; they are required under CI=true", pytrace=False)
    pytest.skip(message)


# Runs before the page's own scripts in every document of a context (Playwright init script,
# outside the page's policy), so a violation anywhere in the page is recorded.
CSP_LISTENER = """
window.__balmCspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  if (!e.sourceFile) return;  // the axe scan's own code (evaluated, no source file)
  window.__balmCspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
    + ' at ' + e.sourceFile + ':' + e.lineNumber + ' ' + (e.sample || ''));
});
"""


class CspWatchedBrowser:
    """The Playwright browser, whose new contexts and pages listen for CSP violations.

    One test's view of the shared Chromium: :meth:`close` closes the contexts this test opened
    (any it left open), so the next test starts with none of its cookies or pages."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []
        self.violations: list[str] = []

    def _watch(self, context: Any) -> Any:
        context.add_init_script(CSP_LISTENER)

        def on_console(message: Any) -> None:
            where = message.location or {}
            # No source address: code evaluated over the DevTools protocol, which is the axe
            # scan (it styles elements it builds to measure colours), not the page.
            if "Content Security Policy" in message.text and where.get("url"):
                self.violations.append(f"{where['url']}:{where.get('lineNumber')}: {message.text}")

        context.on("console", on_console)
        self._contexts.append(context)
        return context

    def new_context(self, **options: Any) -> Any:
        return self._watch(self._browser.new_context(**options))

    def new_page(self, **options: Any) -> Any:
        return self.new_context(**options).new_page()

    def close(self) -> None:
        for context in self._contexts:
            context.close()  # a no-op for a context the test closed itself

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


def csp_violations(page: Any) -> list[str]:
    """The violations the page itself recorded since it loaded."""
    return list(page.evaluate("() => window.__balmCspViolations || []"))


class SharedChromium:
    """One headless Chromium per test worker, started by the first browser test and stopped
    after the last one of a run of browser tests (``pytest_runtest_teardown`` below), so its
    start-up (the Playwright driver and the browser, a second or more each) is paid once
    rather than per test. Tests stay apart: each gets its own browser contexts (cookies,
    storage, cache), closed at its end.

    Playwright's sync API keeps an asyncio event loop running in this (the tests') thread, and
    Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). The
    browser tests only use the ORM synchronously between browser steps, so while the browser
    is up, and only then, that check is switched off; it is back on for the next test that is
    not a browser test."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._chromium: Any = None
        self._env: pytest.MonkeyPatch | None = None

    def get(self) -> Any:
        if self._chromium is None:
            from playwright.sync_api import sync_playwright

            self._env = pytest.MonkeyPatch()
            self._env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            self._playwright = sync_playwright().start()
            self._chromium = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        return self._chromium

    def stop(self) -> None:
        if self._chromium is not None:
            self._chromium.close()
            self._playwright.stop()
            self._chromium = self._playwright = None
        if self._env is not None:
            self._env.undo()
            self._env = None


SHARED = SharedChromium()


@pytest.hookimpl(trylast=True)  # after the test's own fixtures closed their contexts
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # Under xdist the browser tests of a worker run one after another (xdist_group "browser"),
    # so the browser starts once per worker; any other next test gets a thread with no
    # Playwright event loop running and Django's async-safety check on.
    if nextitem is None or "browser" not in nextitem.fixturenames:
        SHARED.stop()


@pytest.fixture
def browser(browser_tools: None) -> Iterator[Any]:
    """The worker's headless system Chromium (:class:`SharedChromium`), seen through a
    :class:`CspWatchedBrowser` of this test's own: any Content-Security-Policy violation in a
    context it opened fails the test."""
    watched = CspWatchedBrowser(SHARED.get())
    try:
        yield watched
    finally:
        watched.close()
    assert not watched.violations, "Content-Security-Policy violations:\n" + "\n".join(
        watched.violations
    )


@pytest.fixture
def base_url(live_server: Any, settings: Any) -> str:
    # The test settings use an https SITE_URL, so cookies are marked Secure; the live server
    # speaks plain http on loopback.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return str(live_server.url)


@dataclass
class Shots:
    """Screenshots and accessibility scans of the pages a test visits."""

    folder: Path
    saved: list[Path] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)

    def check(self, page: Any, name: str, *, admin: bool = False) -> None:
        """Screenshot the page (full length) and fail on serious or critical axe violations.

        ``admin``: a page of the Django admin (``/admin/``), titled the admin's way. The whole
        page is scanned there too: Django's admin markup passes today, so no region is left
        out; should a Django upgrade bring violations of its own, scan only balm's part."""
        page.wait_for_load_state("load")
        path = self.folder / f"{len(self.saved) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)
        print(f"screenshot: {path.relative_to(REPO_ROOT)}  ({page.url})")
        # WCAG 2.4.2: a short, plain page title (axe only checks that there is one).
        title = page.title()
        pattern = ADMIN_TITLE if admin else r"[^<>\n]{1,80} · balm"
        assert re.fullmatch(pattern, title), f"odd page title on {name}: {title!r}"
        violations = csp_violations(page)
        assert not violations, f"Content-Security-Policy violations on {name}: {violations}"
        assert_accessible(page, name)
        self.scanned.append(name)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = RESULTS_DIR / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core inside the page and return its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: a <script> tag would break the page's policy.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html,
                                          summary: n.failureSummary}))
            }));
        }"""
    )
    return list(result)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:160]}")
            for detail in (node["summary"] or "").splitlines()[:4]:
                lines.append(f"        {detail.strip()}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Any, name: str) -> None:
    violations = axe_violations(page)
    minor = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if minor:
        print(f"axe, {name}: minor/moderate findings (not failing):\n{describe(minor)}")
    serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not serious, f"axe found serious problems on {name} ({page.url}):\n" + describe(serious)


@dataclass
class People:
    """The web personas plus what the browser needs: personal links and a started group."""

    world: World
    p1_token: str
    p2_token: str
    p1_link: Any


@pytest.fixture
def people(world: World) -> People:  # noqa: F811  (the re-exported fixture)
    world.site_a.crisis_contacts = CRISIS_CONTACTS
    world.site_a.save(update_fields=["crisis_contacts"])
    # P1 has started the group, so a weekly check-in is open too.
    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=world.enrolment_p1, status=status, by=None)
    p1_link, p1_token = issue_participant_link(participant=world.p1, by=world.facilitator_a)
    _, p2_token = issue_participant_link(participant=world.p2, by=world.facilitator_a)
    return People(world=world, p1_token=p1_token, p2_token=p2_token, p1_link=p1_link)
