"""The sessions export and the Evaluation page: what they hold, who may open them, and that the
page's report is ``balm report``'s on the downloaded files."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pandas as pd
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from markupsafe import escape
from tests.web import factories
from tests.web.test_report_from_export import _answer
from typer.testing import CliRunner

from balm.cli import app
from balm.outcomes.actions import submit_checkin
from balm.programmes.actions import (
    change_enrolment_status,
    record_attendance,
    record_session_notes,
)
from balm.report import ReportOptions, read_inputs

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scored(world):  # type: ignore[no-untyped-def]
    """Cohort A: P1 (fibromyalgia) 27 -> 9, P2 (fibromyalgia) 18 -> 18, X0 (neuropathic)
    18 -> 9 on the PHQ-9 (every item answered the same); session 1 held with P1 and X0
    present and P2 absent, with feedback that starts like a formula."""
    extra = factories.enrol(
        factories.participant(world.site_a, "X0"), world.cohort_a, diagnosis_category="neuropathic"
    )
    for enrolment, (before, after) in (
        (world.enrolment_p1, (3, 1)),
        (world.enrolment_p2, (2, 2)),
        (extra, (2, 1)),
    ):
        _answer(enrolment, "baseline", before)
        _answer(enrolment, "end", after)
    submit_checkin(
        enrolment=world.enrolment_p1,
        week=1,
        answers={"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20},
        client_id=factories.client_id(),
        by=world.p1,
    )
    first = world.cohort_a.sessions.get(number=1)
    record_attendance(
        session=first,
        marks={world.enrolment_p1: "present", world.enrolment_p2: "absent", extra: "present"},
        by=None,
    )
    record_session_notes(
        session=first,
        by=None,
        facilitator_feedback="=HYPERLINK(1) went well",
        reflections="Quiet group.",
    )
    return extra


def _sessions_url(world: Any) -> str:
    return reverse("export-sessions") + f"?cohort={world.cohort_a.pk}"


def test_sessions_export_one_row_per_session(world, scored) -> None:  # type: ignore[no-untyped-def]
    """Session 1: register P1 present, P2 absent, X0 present -> attended 2, enrolled 3.
    Other sessions have no register yet, so their date, attended and enrolled are blank."""
    response = _client(world.facilitator_a).get(_sessions_url(world))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    frame = pd.read_csv(io.BytesIO(response.getvalue()))
    assert list(frame.columns) == [
        "cohort",
        "session",
        "date",
        "title",
        "attended",
        "enrolled",
        "feedback",
        "reflections",
    ]
    assert len(frame) == world.cohort_a.sessions.count()
    one = frame.loc[frame["session"] == 1].iloc[0]
    assert (one["attended"], one["enrolled"]) == (2, 3)
    assert one["date"] == world.cohort_a.sessions.get(number=1).date.isoformat()
    assert one["feedback"] == "'=HYPERLINK(1) went well"  # neutralised, never run
    assert one["reflections"] == "Quiet group."
    rest = frame.loc[frame["session"] > 1]
    assert rest[["date", "attended", "enrolled"]].isna().all().all()


def test_sessions_export_free_text_for_clinical_staff_only(world, scored) -> None:  # type: ignore[no-untyped-def]
    frame = pd.read_csv(
        io.BytesIO(_client(world.researcher_a).get(_sessions_url(world)).getvalue())
    )
    assert frame[["feedback", "reflections"]].isna().all().all()
    assert (frame.loc[frame["session"] == 1, "attended"] == 2).all()
    admin = pd.read_csv(io.BytesIO(_client(world.admin_a).get(_sessions_url(world)).getvalue()))
    assert admin.loc[admin["session"] == 1, "reflections"].item() == "Quiet group."


@pytest.mark.parametrize("persona", ["facilitator_b", "p1_user"])
def test_sessions_and_enrolments_exports_not_for_other_sites_or_participants(
    world, persona
) -> None:  # type: ignore[no-untyped-def]
    client = _client(getattr(world, persona))
    for name in ("export-sessions", "export-enrolments"):
        for scope in (f"cohort={world.cohort_a.pk}", f"site={world.site_a.pk}"):
            assert client.get(f"{reverse(name)}?{scope}").status_code == 404, (name, scope)


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "admin_a"])
def test_sessions_and_enrolments_exports_for_the_sites_staff(world, persona) -> None:  # type: ignore[no-untyped-def]
    client = _client(getattr(world, persona))
    for name in ("export-sessions", "export-enrolments"):
        for scope in (f"cohort={world.cohort_a.pk}", f"site={world.site_a.pk}"):
            assert client.get(f"{reverse(name)}?{scope}").status_code == 200, (name, scope)
    assert Client().get(f"{reverse('export-enrolments')}?site={world.site_a.pk}").status_code == 302


def test_balm_report_reads_the_sessions_export_as_it_is(world, scored, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = _client(world.facilitator_a)
    scores = tmp_path / "scores.csv"
    scores.write_bytes(client.get(reverse("export-cohort", args=[world.cohort_a.pk])).getvalue())
    sessions = tmp_path / "sessions.csv"
    sessions.write_bytes(client.get(_sessions_url(world)).getvalue())
    inputs = read_inputs(scores, ReportOptions(), sessions=sessions)
    assert inputs.sessions is not None and len(inputs.sessions) == world.cohort_a.sessions.count()
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["report", str(scores), "--sessions", str(sessions), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    attendance = json.loads(out.read_text())["attendance"]
    assert (attendance["sessions"], attendance["attended_total"]) == (1, 2)
    assert attendance["enrolled_total"] == 3


def test_enrolments_export_gives_the_flow(world, scored, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """P1 assessed and started; P2 withdrew before starting; X0 only referred. The report's
    flow from the export: referred 3, assessed 2, started 1, withdrawn 1 (before starting)."""
    today = timezone.localdate()
    for status in ("assessed", "started"):
        change_enrolment_status(enrolment=world.enrolment_p1, status=status, on=today, by=None)
    change_enrolment_status(enrolment=world.enrolment_p2, status="assessed", on=today, by=None)
    change_enrolment_status(
        enrolment=world.enrolment_p2, status="withdrawn", on=today, reason="=moved away", by=None
    )
    url = reverse("export-enrolments") + f"?cohort={world.cohort_a.pk}"
    frame = pd.read_csv(io.BytesIO(_client(world.facilitator_a).get(url).getvalue()))
    p2 = frame.loc[frame["enrolment"] == f"P2-c{world.cohort_a.pk}"].iloc[0]
    assert p2["withdrawn_on"] == today.isoformat() and pd.isna(p2["started_on"])
    assert p2["withdrawal_reason"] == "'=moved away"  # neutralised
    p1 = frame.loc[frame["enrolment"] == f"P1-c{world.cohort_a.pk}"].iloc[0]
    assert p1["sessions_attended"] == 1 and p1["started_on"] == today.isoformat()
    researcher = _client(world.researcher_a).get(url).getvalue()
    assert pd.read_csv(io.BytesIO(researcher))["withdrawal_reason"].isna().all()
    flow = _cli_json(_client(world.researcher_a), world, tmp_path)["flow"]
    assert (flow["referred"], flow["assessed"], flow["started"]) == (3, 2, 1)
    assert (flow["withdrawn"], flow["withdrawn_before_start"]) == (1, 1)


# --- the Evaluation page ----------------------------------------------------------------


def _urls(world: Any) -> list[str]:
    return [
        reverse("evaluation-cohort", args=[world.cohort_a.pk]),
        reverse("evaluation-site", args=[world.site_a.pk]),
        reverse("evaluation"),
    ]


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "admin_a"])
def test_evaluation_opens_for_the_sites_staff(world, scored, persona) -> None:  # type: ignore[no-untyped-def]
    client = _client(getattr(world, persona))
    for url in _urls(world):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"Outcomes" in page.getvalue() and b'data-download="pdf"' in page.getvalue()


@pytest.mark.parametrize("persona", ["facilitator_b", "p1_user"])
def test_evaluation_never_for_other_sites_or_participants(world, scored, persona) -> None:  # type: ignore[no-untyped-def]
    client = _client(getattr(world, persona))
    for url in _urls(world)[:2]:
        assert client.get(url).status_code == 404, url
        assert client.get(url + "?download=json").status_code == 404, url
        assert client.get(url + "behind/?key=jd:x:0:1").status_code == 404, url
    everywhere = client.get(reverse("evaluation"))
    if persona == "p1_user":
        assert everywhere.status_code == 404
        assert client.get(reverse("evaluation-behind") + "?key=jd:x:0:1").status_code == 404
    else:  # site B's own (empty) report: nothing of site A
        # A word match: the page's random CSRF token holds "P1" about one time in sixty.
        html = everywhere.getvalue().decode()
        assert "Cohort A" not in html and not re.search(r"\bP1\b", html)


def test_evaluation_needs_a_login(world) -> None:  # type: ignore[no-untyped-def]
    for url in _urls(world):
        page = Client().get(url)
        assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


def _page_json(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data: dict[str, Any] = json.loads(response.getvalue())
    return data


def _cli_json(client: Client, world: Any, tmp_path: Any, *extra: str) -> dict[str, Any]:
    """``balm report`` on the cohort's four downloads (``extra``: more options)."""
    query = f"?cohort={world.cohort_a.pk}"
    files = {
        "scores": reverse("export-cohort", args=[world.cohort_a.pk]),
        "checkins": reverse("export-checkins") + query,
        "sessions": reverse("export-sessions") + query,
        "enrolments": reverse("export-enrolments") + query,
    }
    for role, url in files.items():
        (tmp_path / f"{role}.csv").write_bytes(client.get(url).getvalue())
    out = tmp_path / "report.json"
    args = [str(tmp_path / "scores.csv")]
    for role in ("checkins", "sessions", "enrolments"):
        args += [f"--{role}", str(tmp_path / f"{role}.csv")]
    result = CliRunner().invoke(app, ["report", *args, *extra, "-o", str(out)])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_page_json_is_balm_report_on_the_exported_files(world, scored, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The page's report and ``balm report`` on the four downloads agree to the byte, input
    hashes included; and its numbers are the hand-worked ones (mean PHQ-9 change
    (-18 + 0 - 9) / 3 = -9, baseline mean (27 + 18 + 18) / 3 = 21)."""
    client = _client(world.facilitator_a)
    cli = _cli_json(client, world, tmp_path)
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk]) + "?download=json"
    page = _page_json(client, url)
    assert page == cli
    phq9 = page["outcomes"]["phq9_total"]
    assert (phq9["n"], phq9["change"]["mean"], phq9["pre"]["mean"]) == (3, -9.0, 21.0)


def test_filters_narrow_the_report_and_its_downloads(world, scored) -> None:  # type: ignore[no-untyped-def]
    """Fibromyalgia only: P1 (27 -> 9) and P2 (18 -> 18): n 2, mean change -9."""
    client = _client(world.researcher_a)
    url = reverse("evaluation-site", args=[world.site_a.pk])
    page = client.get(url + "?diagnosis=fibromyalgia")
    assert page.status_code == 200
    download = re.search(rb'href="([^"]*download=json[^"]*)"', page.getvalue())
    assert download is not None and b"diagnosis=fibromyalgia" in download.group(1)
    data = _page_json(client, download.group(1).decode().replace("&amp;", "&"))
    phq9 = data["outcomes"]["phq9_total"]
    assert (phq9["n"], phq9["change"]["mean"], phq9["pre"]["mean"]) == (2, -9.0, 22.5)
    online = client.get(url + "?format=online")  # no one: the page says what is missing
    assert online.status_code == 200 and b"Not enough data" in online.getvalue()


def test_bad_filters_are_named(world, scored) -> None:  # type: ignore[no-untyped-def]
    factories.cohort(world.site_a, name="Cohort A, spring")  # two groups: a group to choose
    client = _client(world.researcher_a)
    url = reverse("evaluation-site", args=[world.site_a.pk])
    page = client.get(url + "?started_from=2026-05-01&started_to=2026-01-01&cohort=999999")
    assert page.status_code == 400
    assert b"must not be before" in page.getvalue() and b"Select a valid choice" in page.getvalue()
    assert b'class="report"' not in page.getvalue()
    assert client.get(url + "?download=docx").status_code == 404
    other_site = client.get(url + f"?cohort={world.cohort_b.pk}")
    assert other_site.status_code == 400 and b"Cohort B" not in other_site.getvalue()


def test_every_format_downloads(world, scored) -> None:  # type: ignore[no-untyped-def]
    client = _client(world.admin_a)
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    starts = {"html": b"<!DOCTYPE html>", "pdf": b"%PDF", "xlsx": b"PK", "json": b"{"}
    for name, start in starts.items():
        response = client.get(f"{url}?download={name}")
        assert response.status_code == 200, name
        assert response.getvalue().startswith(start), name
        assert response["Content-Disposition"].endswith(f'.{name}"')


def test_page_holds_nothing_a_strict_csp_blocks(world, scored) -> None:  # type: ignore[no-untyped-def]
    """No inline style or script, no style attributes, no inline SVG: figures are images,
    on the page that lists its figures and on the page with them drawn."""
    client = _client(world.researcher_a)
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    for query, images in (("", 0), ("?figures=drawn", 1)):
        html = client.get(url + query).getvalue().decode()
        assert "<style" not in html and "style=" not in html and "<svg" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"\son[a-z]+=", html) and "javascript:" not in html
        assert html.count('src="data:image/svg+xml;base64,') >= images
        assert html.count("<main") == 1 and html.count("<h1") == 1


def _listed(html: str) -> list[str]:
    return re.findall(r'<figure id="figure-([\w-]+)" class="figure-listed"', html)


def test_page_lists_its_figures_and_fetches_them_in_one_answer(world, scored) -> None:  # type: ignore[no-untyped-def]
    """The first view draws no figure: each is listed with its caption and a link to the page
    with the figures drawn; ``?part=figures`` gives every drawing the page listed, as the
    ``<img>`` the drawn page holds."""
    cache.clear()  # reports kept by the tests before, for the same synthetic answers
    client = _client(world.researcher_a)
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    html = client.get(url).getvalue().decode()
    listed = _listed(html)
    # the scored fixture: a flow diagram, the check-in charts and one Jacobson plot (PHQ-9)
    assert {"flow", "jacobson_phq9_total"} <= set(listed)
    assert "balm/evaluation.js" in html
    assert f'data-figures="{url}?part=figures"' in html
    assert html.count(f'href="{url}?figures=drawn#figure-') == len(listed)
    answer = client.get(url + "?part=figures")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer["Cache-Control"] == "no-store"
    images = answer.json()
    assert sorted(images) == sorted(listed)
    drawn = client.get(url + "?figures=drawn").getvalue().decode()
    assert _listed(drawn) == [] and "balm/evaluation.js" not in drawn
    for key, image in images.items():
        assert image["src"].startswith("data:image/svg+xml;base64,")
        assert f'alt="{escape(image["alt"])}" src="{image["src"]}"' in drawn, key
    # once drawn, the report kept in the cache serves the first view with its figures
    assert _listed(client.get(url).getvalue().decode()) == []
    assert client.get(url + "?part=other").status_code == 404


@pytest.mark.parametrize("persona", ["facilitator_b", "p1_user"])
def test_figures_never_for_other_sites_or_participants(world, scored, persona) -> None:  # type: ignore[no-untyped-def]
    client = _client(getattr(world, persona))
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    assert client.get(url + "?part=figures").status_code == 404
    assert client.get(url + "?figures=drawn").status_code == 404


def test_unknown_number_is_not_found(world, scored) -> None:  # type: ignore[no-untyped-def]
    client = _client(world.researcher_a)
    url = reverse("evaluation-cohort-behind", args=[world.cohort_a.pk])
    assert client.get(url + "?key=jd:nothing:0:1").status_code == 404


# --- the cohort page: change since the first answer, and the group's Jacobson plot -------


def test_cohort_page_shows_change_with_its_category(world, scored) -> None:  # type: ignore[no-untyped-def]
    """PHQ-9 in the catalogue: a reliable change is a drop of 6 or more and caseness starts at
    10 (NHS Talking Therapies manual). P1 27 -> 9: -18, out of caseness: recovered; P2 18 ->
    18: unchanged; X0 18 -> 9: -9, out of caseness: recovered."""
    page = _client(world.researcher_a).get(reverse("cohort", args=[world.cohort_a.pk]))
    html = page.getvalue().decode()
    for who, text, category in (
        ("P1", "27 → 9 (<span data-change-amount>−18</span>)", "recovered"),
        ("P2", "18 → 18 (<span data-change-amount>0</span>)", "unchanged"),
        ("X0", "18 → 9 (<span data-change-amount>−9</span>)", "recovered"),
    ):
        row = re.search(rf'<tr data-participant="{who}">(.*?)</tr>', html, re.S)
        assert row is not None and text in row.group(1), who
        assert f'data-change="{category}"' in row.group(1), who
    figure = re.search(
        r'data-jacobson="PHQ-9">\s*<img class="jacobson" src="([^"]+)" alt="([^"]+)"', html
    )
    assert figure is not None
    assert figure.group(1).startswith("data:image/svg+xml;base64,")
    assert "recovered 2, unchanged 1" in figure.group(2)
    assert "<svg" not in html and "style=" not in html


# --- with the interviews: joint displays and the people and words behind their numbers ----


@pytest.fixture
def interviews(world):  # type: ignore[no-untyped-def]
    """The synthetic demo interviews at site A, and four of their interviewees in cohort A
    with PHQ-9 at baseline and end (Aspen 27 -> 9, Birch 18 -> 18, Cedar 18 -> 9, Elm 9 -> 27)."""
    from balm.qualitative.actions import import_project
    from balm.qualitative.demo_set import demo_project, planted_terms

    result = import_project(
        site=world.site_a, project=demo_project(), terms=planted_terms(), by=world.researcher_a
    )
    for name, (before, after) in {
        "Aspen": (3, 1),
        "Birch": (2, 2),
        "Cedar": (2, 1),
        "Elm": (1, 3),
    }.items():
        enrolment = factories.enrol(factories.participant(world.site_a, name), world.cohort_a)
        _answer(enrolment, "baseline", before)
        _answer(enrolment, "end", after)
    return result.project


def test_joint_display_numbers_lead_to_people_and_quotes(world, interviews) -> None:  # type: ignore[no-untyped-def]
    client = _client(world.researcher_a)
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    page = client.get(f"{url}?project={interviews.pk}")
    assert page.status_code == 200
    links = re.findall(r'href="([^"]*/behind/\?[^"]*)"', page.getvalue().decode())
    assert links, "no number of a joint display links to the people behind it"
    seen_people = seen_quotes = False
    for link in links:
        behind = client.get(link.replace("&amp;", "&"))
        assert behind.status_code == 200, link
        html = behind.getvalue().decode()
        for name, pk in re.findall(
            r'data-behind-person="([^"]+)"><a href="/enrolments/(\d+)/record/"', html
        ):
            seen_people = True
            assert name.startswith(("Aspen", "Birch", "Cedar", "Elm"))
            assert int(pk) in {e.pk for e in world.cohort_a.enrolments.all()}
        seen_quotes = seen_quotes or "data-behind-quote" in html
    assert seen_people and seen_quotes


def test_page_with_interviews_is_balm_report_with_the_qdpx(world, interviews, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every number agrees with ``balm report --qual``; only the project's hash differs (a
    .qdpx carries the time it was written)."""
    from balm.qual.refi import write_qdpx
    from balm.qualitative.convert import to_project

    client = _client(world.researcher_a)
    write_qdpx(to_project(interviews), tmp_path / "project.qdpx")
    cli = _cli_json(client, world, tmp_path, "--qual", str(tmp_path / "project.qdpx"))
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    page = _page_json(client, f"{url}?project={interviews.pk}&download=json")
    page_hashes, cli_hashes = page.pop("input_sha256"), cli.pop("input_sha256")
    assert page_hashes.pop("qual") and cli_hashes.pop("qual")
    assert page_hashes == cli_hashes
    assert page["joint_display"] and page == cli


def test_facilitators_get_no_interviews(world, interviews) -> None:  # type: ignore[no-untyped-def]
    """Facilitators do not code the site's interviews, so the project is not theirs to add."""
    page = _client(world.facilitator_a).get(
        reverse("evaluation-cohort", args=[world.cohort_a.pk]) + f"?project={interviews.pk}"
    )
    assert page.status_code == 200
    assert b'name="project"' not in page.getvalue() and b"/behind/?" not in page.getvalue()


def test_a_group_half_way_is_compared_with_its_latest_timepoint(world) -> None:  # type: ignore[no-untyped-def]
    """No end scores yet: baseline is compared with the mid-point (P1 27 -> 9, P2 18 -> 18:
    mean change -9), unless the form asks for the end, which names what is missing."""
    for enrolment, (before, after) in ((world.enrolment_p1, (3, 1)), (world.enrolment_p2, (2, 2))):
        _answer(enrolment, "baseline", before)
        _answer(enrolment, "mid", after)
    client = _client(world.facilitator_a)
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    data = _page_json(client, url + "?download=json")
    assert data["options"]["post"] == "mid"
    assert data["outcomes"]["phq9_total"]["change"]["mean"] == -9.0
    asked = client.get(url + "?post=end")
    assert (
        b"Not enough data" in asked.getvalue()
        and b"no row has timepoint = &#x27;end&#x27;" in asked.getvalue()
    )


def test_a_kept_report_never_reaches_a_user_with_other_permissions(world, scored) -> None:  # type: ignore[no-untyped-def]
    """The facilitator's report holds the session feedback; the researcher asking next for the
    same group gets one without it (the cache key is the hash of each user's own inputs), and
    a new answer makes a new report."""
    url = reverse("evaluation-cohort", args=[world.cohort_a.pk])
    facilitator = _client(world.facilitator_a).get(url + "?download=html").getvalue()
    assert b"Quiet group." in facilitator
    researcher = _client(world.researcher_a)
    assert b"Quiet group." not in researcher.get(url + "?download=html").getvalue()
    before = _page_json(researcher, url + "?download=json")["outcomes"]["phq9_total"]["n"]
    late = factories.enrol(factories.participant(world.site_a, "Z9"), world.cohort_a)
    _answer(late, "baseline", 1)
    _answer(late, "end", 0)
    after = _page_json(researcher, url + "?download=json")["outcomes"]["phq9_total"]["n"]
    assert (before, after) == (3, 4)


def test_the_group_page_and_the_staff_home_link_the_files_and_the_page(world) -> None:  # type: ignore[no-untyped-def]
    client = _client(world.researcher_a)
    group = client.get(reverse("cohort", args=[world.cohort_a.pk])).getvalue().decode()
    query = f"?cohort={world.cohort_a.pk}"
    for href in (
        reverse("export-sessions") + query,
        reverse("export-enrolments") + query,
        reverse("evaluation-cohort", args=[world.cohort_a.pk]),
    ):
        assert f'href="{href}"' in group, href
    home = client.get(reverse("home")).getvalue().decode()
    for href in (
        reverse("export-sessions") + f"?site={world.site_a.pk}",
        reverse("evaluation-site", args=[world.site_a.pk]),
    ):
        assert f'href="{href}"' in home, href
