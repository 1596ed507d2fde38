"""The JSON API: every endpoint for every persona, idempotent submissions, all problems at once."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.web import factories

from balm.accounts.actions import issue_participant_link, revoke_participant_link
from balm.api.actions import issue_api_token
from balm.outcomes.models import Assessment, CheckIn, Response, SafetyAlert, open_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_token():  # type: ignore[no-untyped-def]
    """Issue a token for a user and return the secret."""

    def issue(user) -> str:  # type: ignore[no-untyped-def]
        return issue_api_token(user=user, name="test", by=None)[1]

    return issue


CHECKIN = {"q1": 6, "q2": 5, "q3": 4, "q4": 5, "q5": 7, "q6": 20}


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def link_client(participant) -> Client:  # type: ignore[no-untyped-def]
    """A browser that opened the participant's personal link (no account)."""
    _, token = issue_participant_link(participant=participant, by=None)
    client = Client()
    assert client.get(f"/p/{token}/").status_code == 302
    return client


def baseline(enrolment, instrument_id="phq9"):  # type: ignore[no-untyped-def]
    return enrolment.assessments.get(instrument_id=instrument_id, timepoint="baseline")


def items(answer) -> list[dict]:  # type: ignore[no-untyped-def]
    """The rows of a list endpoint's page (``{"items": [...], "count": N}``)."""
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"items", "count"} and body["count"] >= len(body["items"])
    return body["items"]


def post(client: Client, url: str, body: dict, **extra):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def response_body(world, answers=None, client_id=None, **fields):  # type: ignore[no-untyped-def]
    return {
        "assessment_id": baseline(world.enrolment_p1).pk,
        "answers": factories.PHQ9_ZEROS if answers is None else answers,
        "client_id": client_id or str(uuid.uuid4()),
        **fields,
    }


def checkin_body(world, answers=None, client_id=None, **fields):  # type: ignore[no-untyped-def]
    return {
        "enrolment_id": world.enrolment_p1.pk,
        "week": 1,
        "answers": CHECKIN if answers is None else answers,
        "client_id": client_id or str(uuid.uuid4()),
        **fields,
    }


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/cohorts"),
        ("get", "/api/cohorts/1"),
        ("get", "/api/cohorts/1/enrolments"),
        ("get", "/api/assessments/due"),
        ("get", "/api/assessments/1"),
        ("get", "/api/enrolments/1/scores"),
        ("post", "/api/responses"),
        ("post", "/api/checkins"),
    ],
)
def test_unauthenticated_is_401(world, method, url) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    answer = client.get(url) if method == "get" else post(client, url, {})
    assert answer.status_code == 401


def test_openapi_schema_and_docs_are_served(db) -> None:  # type: ignore[no-untyped-def]
    answer = Client().get("/api/openapi.json")
    assert answer.status_code == 200
    schema = json.loads(answer.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= {
        "/api/cohorts",
        "/api/cohorts/{cohort_id}",
        "/api/cohorts/{cohort_id}/enrolments",
        "/api/assessments/due",
        "/api/assessments/{assessment_id}",
        "/api/responses",
        "/api/checkins",
        "/api/enrolments/{enrolment_id}/scores",
    }
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionCaller"]["in"] == "cookie"
    responses = schema["paths"]["/api/responses"]["post"]["responses"]
    assert {"200", "201", "403", "404", "409", "422"} <= set(responses)
    docs = Client().get("/api/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


def test_docs_load_swagger_from_our_own_static_files(db) -> None:  # type: ignore[no-untyped-def]
    """``ninja`` is an installed app, so Swagger UI comes from its static files (served by
    whitenoise), never from a CDN."""
    docs = Client().get("/api/docs").content.decode()
    assert "cdn" not in docs.lower() and "https://" not in docs
    for asset in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert f'"/static/ninja/{asset}"' in docs
    bundle = Client().get("/static/ninja/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    bundle.close()


def test_list_pages_are_described_in_the_schema(db) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads(Client().get("/api/openapi.json").content)
    for path, item in [
        ("/api/cohorts", "CohortOut"),
        ("/api/cohorts/{cohort_id}/enrolments", "EnrolmentOut"),
        ("/api/assessments/due", "AssessmentOut"),
    ]:
        get = schema["paths"][path]["get"]
        params = {p["name"]: p["schema"] for p in get["parameters"] if p["in"] == "query"}
        assert params["limit"]["default"] == 100 and params["limit"]["maximum"] == 500
        assert params["limit"]["minimum"] == 1 and params["offset"]["minimum"] == 0
        assert params["offset"]["maximum"] == 2**63 - 1
        ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        paged = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(paged["required"]) == {"items", "count"}
        assert paged["properties"]["items"]["items"]["$ref"].endswith(f"/{item}")


def test_id_and_week_bounds_are_described_in_the_schema(db) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads(Client().get("/api/openapi.json").content)
    ids = [
        schema["paths"][path]["get"]["parameters"][0]["schema"]
        for path in (
            "/api/cohorts/{cohort_id}",
            "/api/cohorts/{cohort_id}/enrolments",
            "/api/assessments/{assessment_id}",
            "/api/enrolments/{enrolment_id}/scores",
        )
    ]
    due = schema["paths"]["/api/assessments/due"]["get"]["parameters"]
    ids.append(next(p for p in due if p["name"] == "cohort_id")["schema"]["anyOf"][0])
    bodies = schema["components"]["schemas"]
    ids.append(bodies["ResponseIn"]["properties"]["assessment_id"])
    ids.append(bodies["CheckInIn"]["properties"]["enrolment_id"])
    assert [(i["minimum"], i["maximum"]) for i in ids] == [(1, 2**63 - 1)] * 7
    week = bodies["CheckInIn"]["properties"]["week"]
    assert (week["minimum"], week["maximum"]) == (1, 32767)


def test_session_post_needs_csrf_token(world) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.p1_user)
    refused = post(client, "/api/responses", response_body(world))
    assert refused.status_code == 403
    assert Response.objects.count() == 0
    client.get("/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = post(client, "/api/responses", response_body(world), HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_bearer_token_needs_no_csrf(world, api_token) -> None:  # type: ignore[no-untyped-def]
    token = api_token(world.p1_user)
    client = Client(enforce_csrf_checks=True)
    answer = post(
        client, "/api/responses", response_body(world), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 201


# --- cohorts -----------------------------------------------------------------------------


def test_cohort_list_per_persona(world) -> None:  # type: ignore[no-untyped-def]
    def names(client: Client) -> set[str]:
        return {c["name"] for c in items(client.get("/api/cohorts"))}

    assert names(client_for(world.facilitator_a)) == {"Cohort A"}
    assert names(client_for(world.facilitator_b)) == {"Cohort B"}
    assert names(client_for(world.researcher_a)) == {"Cohort A"}
    assert names(client_for(world.admin_a)) == {"Cohort A"}
    assert names(client_for(world.p1_user)) == {"Cohort A"}
    assert names(link_client(world.p2)) == {"Cohort A"}


def test_cohort_detail(world) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/cohorts/{world.cohort_a.pk}"
    owner = client_for(world.facilitator_a).get(url)
    assert owner.status_code == 200
    body = owner.json()
    assert body["name"] == "Cohort A" and body["site"]["name"] == "Site A pain service"
    assert body["weeks"] == 12 and body["enrolment_counts"] == {"referred": 2}
    assert client_for(world.facilitator_b).get(url).status_code == 404
    assert client_for(world.researcher_a).get(url).json()["enrolment_counts"] == {"referred": 2}
    own = client_for(world.p1_user).get(url)
    assert own.status_code == 200 and own.json()["enrolment_counts"] is None
    assert client_for(world.p1_user).get(f"/api/cohorts/{world.cohort_b.pk}").status_code == 404
    assert client_for(world.facilitator_a).get("/api/cohorts/999999").status_code == 404


def test_enrolments_pseudonymised_for_researchers(world) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/cohorts/{world.cohort_a.pk}/enrolments"
    owner = items(client_for(world.facilitator_a).get(url))
    assert [(e["participant"]["pseudonym"], e["participant"]["name"]) for e in owner] == [
        ("P1", "Pat One"),
        ("P2", "Sam Two"),
    ]
    researcher = client_for(world.researcher_a).get(url)
    assert [e["participant"] for e in items(researcher)] == [
        {"pseudonym": "P1", "name": None, "email": None},
        {"pseudonym": "P2", "name": None, "email": None},
    ]
    assert b"Pat One" not in researcher.content and b"example.org" not in researcher.content
    assert client_for(world.facilitator_b).get(url).status_code == 404
    own = items(client_for(world.p1_user).get(url))
    assert [e["id"] for e in own] == [world.enrolment_p1.pk]
    assert [e["id"] for e in items(link_client(world.p2).get(url))] == [world.enrolment_p2.pk]


# --- assessments due ---------------------------------------------------------------------


def test_assessments_due_per_persona(world) -> None:  # type: ignore[no-untyped-def]
    def enrolments(client: Client) -> set[int]:
        return {a["enrolment_id"] for a in items(client.get("/api/assessments/due"))}

    both = {world.enrolment_p1.pk, world.enrolment_p2.pk}
    assert enrolments(client_for(world.facilitator_a)) == both
    assert enrolments(client_for(world.researcher_a)) == both
    assert enrolments(client_for(world.facilitator_b)) == set()
    assert enrolments(client_for(world.p1_user)) == {world.enrolment_p1.pk}
    assert enrolments(client_for(world.p2_user)) == {world.enrolment_p2.pk}
    assert enrolments(link_client(world.p1)) == {world.enrolment_p1.pk}
    due = items(client_for(world.p1_user).get("/api/assessments/due"))
    phq9 = next(a for a in due if a["instrument_id"] == "phq9")
    assert phq9["timepoint"] == "baseline" and phq9["status"] == "due"
    assert phq9["instrument_name"] == "Patient Health Questionnaire-9"
    filtered = client_for(world.facilitator_a).get(
        f"/api/assessments/due?cohort_id={world.cohort_b.pk}"
    )
    assert filtered.json() == {"items": [], "count": 0}


def test_assessment_detail_lists_questions(world) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/assessments/{baseline(world.enrolment_p1).pk}"
    own = client_for(world.p1_user).get(url)
    assert own.status_code == 200
    body = own.json()
    assert [q["id"] for q in body["questions"]] == [f"q{i}" for i in range(1, 10)]
    assert body["questions"][0]["options"][3] == {"value": 3.0, "label": "Nearly every day"}
    assert body["status"] == "due"
    assert client_for(world.researcher_a).get(url).status_code == 200
    assert client_for(world.p2_user).get(url).status_code == 404
    assert client_for(world.facilitator_b).get(url).status_code == 404


def test_answered_assessment_is_no_longer_due(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.p1_user)
    assert post(client, "/api/responses", response_body(world)).status_code == 201
    due = items(client.get("/api/assessments/due"))
    assert baseline(world.enrolment_p1).pk not in {a["id"] for a in due}


def test_a_sites_due_list_asks_only_about_its_own_open_questionnaires(world) -> None:  # type: ignore[no-untyped-def]
    """Which open questionnaires are answered is asked of the caller's own, not of every
    site's: in a network, 21 other sites' 10,000 open questionnaires made one site's due list
    220 ms of statements (docs/performance.md, session 12)."""
    other = factories.enrol(factories.participant(world.site_b, "P3"), world.cohort_b)
    today = timezone.localdate()
    open_at_b = set(
        Assessment.objects.filter(
            enrolment=other, opens_on__lte=today, closes_on__gte=today
        ).values_list("pk", flat=True)
    )
    assert open_at_b  # site B has questionnaires open today
    asked: list[object] = []

    def keep(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if '"outcomes_response"' in sql:  # which of the ids given are answered
            asked.extend(params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        due = items(client_for(world.facilitator_a).get("/api/assessments/due"))
    assert {a["enrolment_id"] for a in due} == {world.enrolment_p1.pk, world.enrolment_p2.pk}
    assert not open_at_b & set(asked), "site B's open questionnaires were looked up"
    # The reminder check still looks at every site's (it e-mails participants of all sites).
    assert open_at_b <= set(open_ids(today)[0])


# --- pages of the lists -----------------------------------------------------------------


def more_at_site_a(world, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` more cohorts at site A, and ``n`` more participants enrolled in cohort A."""
    for i in range(n):
        factories.cohort(world.site_a, name=f"Extra {i}")
        factories.enrol(factories.participant(world.site_a), world.cohort_a)


def list_urls(world) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "/api/cohorts",
        f"/api/cohorts/{world.cohort_a.pk}/enrolments",
        "/api/assessments/due",
        f"/api/assessments/due?cohort_id={world.cohort_a.pk}",
    ]


def with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def test_lists_come_in_pages_that_add_up_to_the_whole(world) -> None:  # type: ignore[no-untyped-def]
    more_at_site_a(world, 3)
    client = client_for(world.facilitator_a)
    for url in list_urls(world):
        whole = client.get(url).json()
        total = whole["count"]
        assert total == len(whole["items"]) >= 4, url
        pages = [client.get(with_query(url, f"limit=3&offset={o}")).json() for o in (0, 3, 6)]
        assert [page["count"] for page in pages] == [total] * 3
        assert len(pages[0]["items"]) == 3
        in_pages = [row["id"] for page in pages for row in page["items"]]
        assert in_pages == [row["id"] for row in whole["items"]][:9], url
        beyond = client.get(with_query(url, f"offset={total}")).json()
        assert beyond == {"items": [], "count": total}, url
    cohorts = client.get("/api/cohorts?limit=1").json()
    assert cohorts["count"] == 4 and len(cohorts["items"]) == 1


def test_a_page_is_100_unless_asked_and_at_most_500(world) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):  # 14 participants with 8 questionnaires open each
        factories.enrol(factories.participant(world.site_a), world.cohort_a)
    client = client_for(world.facilitator_a)
    first = client.get("/api/assessments/due").json()
    assert first["count"] > 100 and len(first["items"]) == 100
    rest = client.get("/api/assessments/due?offset=100").json()
    assert len(rest["items"]) == first["count"] - 100
    everything = client.get("/api/assessments/due?limit=500").json()
    assert [a["id"] for a in everything["items"]] == [
        a["id"] for a in first["items"] + rest["items"]
    ]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("limit=0", ["limit"]),
        ("limit=501", ["limit"]),
        ("limit=-1", ["limit"]),
        ("offset=-1", ["offset"]),
        ("limit=lots&offset=-5", ["limit", "offset"]),
    ],
)
def test_a_page_out_of_range_is_422_not_clamped(world, query, fields) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.facilitator_a)
    for url in list_urls(world):
        answer = client.get(with_query(url, query))
        assert answer.status_code == 422, (url, query)
        body = answer.json()
        assert body["detail"] and sorted(p["field"] for p in body["problems"]) == fields
    too_many = client.get("/api/cohorts?limit=501").json()["problems"][0]["message"]
    assert "500" in too_many
    assert client.get("/api/cohorts?limit=500").status_code == 200


BIGINT_MAX = 2**63 - 1  # ids are BigAutoField; the largest OFFSET PostgreSQL and SQLite take
HUGE = (
    10**20
)  # beyond every database integer: a 500 (DataError, "datatype mismatch") if it got there
ID_RANGE = {"kind": "integer", "minimum": 1, "maximum": BIGINT_MAX}
OFFSET_RANGE = {"kind": "integer", "minimum": 0, "maximum": BIGINT_MAX}
WEEK_RANGE = {"kind": "integer", "minimum": 1, "maximum": 32767}


def out_of_range(client: Client, method: str, url: str, body: dict | None, field: str) -> dict:
    """The one problem of a request refused for a number out of range (never a 500)."""
    client.raise_request_exception = False  # a database error shows as 500, not a traceback
    answer = client.get(url) if method == "get" else post(client, url, body or {})
    assert answer.status_code == 422, (url, body, answer.status_code)
    problems = answer.json()["problems"]
    assert [p["field"] for p in problems] == [field], problems
    return problems[0]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/cohorts/{HUGE}", "cohort_id"),
        (f"/api/cohorts/{BIGINT_MAX + 1}", "cohort_id"),
        ("/api/cohorts/0", "cohort_id"),
        (f"/api/cohorts/{HUGE}/enrolments", "cohort_id"),
        (f"/api/assessments/{HUGE}", "assessment_id"),
        (f"/api/enrolments/{HUGE}/scores", "enrolment_id"),
        (f"/api/assessments/due?cohort_id={HUGE}", "cohort_id"),
        (f"/api/assessments/due?cohort_id=-{HUGE}", "cohort_id"),
        (f"/api/assessments/due?cohort_id={BIGINT_MAX + 1}", "cohort_id"),
    ],
)
def test_an_id_beyond_the_bigint_range_is_422(world, url, field) -> None:  # type: ignore[no-untyped-def]
    """In the path or the query: refused before any query, naming the field and the range."""
    problem = out_of_range(client_for(world.facilitator_a), "get", url, None, field)
    assert problem["allowed"] == ID_RANGE
    assert problem["message"] == f"Must be a whole number from 1 to {BIGINT_MAX}."


@pytest.mark.parametrize(
    ("url", "fields", "field", "allowed"),
    [
        ("/api/responses", {"assessment_id": HUGE}, "assessment_id", ID_RANGE),
        ("/api/responses", {"assessment_id": -HUGE}, "assessment_id", ID_RANGE),
        ("/api/checkins", {"enrolment_id": HUGE}, "enrolment_id", ID_RANGE),
        ("/api/checkins", {"enrolment_id": BIGINT_MAX + 1}, "enrolment_id", ID_RANGE),
        ("/api/checkins", {"week": HUGE}, "week", WEEK_RANGE),
        ("/api/checkins", {"week": -HUGE}, "week", WEEK_RANGE),
        ("/api/checkins", {"week": 0}, "week", WEEK_RANGE),
    ],
)
def test_a_body_number_beyond_its_range_is_422(world, url, fields, field, allowed) -> None:  # type: ignore[no-untyped-def]
    make = response_body if url == "/api/responses" else checkin_body
    body = make(world, **fields)
    problem = out_of_range(client_for(world.p1_user), "post", url, body, field)
    assert problem["allowed"] == allowed
    assert Response.objects.count() == 0 and CheckIn.objects.count() == 0


@pytest.mark.parametrize("offset", [HUGE, BIGINT_MAX + 1])
def test_an_offset_beyond_the_bigint_range_is_422(world, offset) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.facilitator_a)
    for url in list_urls(world):
        problem = out_of_range(client, "get", with_query(url, f"offset={offset}"), None, "offset")
        assert problem["allowed"] == OFFSET_RANGE


def test_the_largest_id_and_offset_are_answered(world) -> None:  # type: ignore[no-untyped-def]
    """At the very top of the range the database is asked, and answers: not found, or an
    empty page past the end (on SQLite and PostgreSQL alike)."""
    client = client_for(world.facilitator_a)
    for url in (
        f"/api/cohorts/{BIGINT_MAX}",
        f"/api/cohorts/{BIGINT_MAX}/enrolments",
        f"/api/assessments/{BIGINT_MAX}",
        f"/api/enrolments/{BIGINT_MAX}/scores",
    ):
        assert client.get(url).status_code == 404, url
    for url in list_urls(world):
        page = client.get(with_query(url, f"offset={BIGINT_MAX}&limit=500")).json()
        assert page["items"] == [] and page["count"] >= 0, url
    none = client.get(f"/api/assessments/due?cohort_id={BIGINT_MAX}").json()
    assert none == {"items": [], "count": 0}
    p1 = client_for(world.p1_user)
    assert (
        post(p1, "/api/responses", response_body(world, assessment_id=BIGINT_MAX)).status_code
        == 404
    )
    assert (
        post(p1, "/api/checkins", checkin_body(world, enrolment_id=BIGINT_MAX)).status_code == 404
    )
    too_late = post(p1, "/api/checkins", checkin_body(world, week=32767))
    assert too_late.status_code == 422 and too_late.json()["problems"][0]["field"] == "week"


# Session, user; the caller's sites and participant record (once per request); the cohort
# (enrolments: and whether the caller sees names); the page; the count. The due list first
# finds the questionnaires open today by index (the window, then those answered: two
# queries bounded by what is open now, not by the years of history).
LIST_QUERIES = {
    "/api/cohorts": 6,
    "/api/cohorts/{id}/enrolments": 10,
    "/api/assessments/due": 8,
}


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "admin_a", "p1_user"])
def test_list_queries_do_not_grow_with_the_list(  # type: ignore[no-untyped-def]
    world, persona, django_assert_max_num_queries
) -> None:
    client = client_for(getattr(world, persona))
    urls = {
        "/api/cohorts": "/api/cohorts",
        "/api/cohorts/{id}/enrolments": f"/api/cohorts/{world.cohort_a.pk}/enrolments",
        "/api/assessments/due": "/api/assessments/due",
    }

    def cost() -> dict[str, tuple[int, int]]:
        found = {}
        for name, url in urls.items():
            with CaptureQueriesContext(connection) as queries:
                answer = client.get(url)
            found[name] = (len(queries), len(items(answer)))
        return found

    small = cost()
    more_at_site_a(world, 4)
    large = cost()
    for name, url in urls.items():
        assert large[name][0] == small[name][0], (name, small, large)
        if persona != "p1_user":  # staff see the new rows; a participant only their own
            assert large[name][1] > small[name][1], name
        with django_assert_max_num_queries(LIST_QUERIES[name]):
            client.get(url)


def test_a_list_through_a_bearer_token_costs_no_more(  # type: ignore[no-untyped-def]
    world, api_token, django_assert_max_num_queries
) -> None:
    """One query for the token with its user instead of two for the session and the user
    (and one to note its last use, at most once a minute)."""
    token = api_token(world.facilitator_a)
    more_at_site_a(world, 2)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/cohorts")  # notes the token's first use
    with django_assert_max_num_queries(LIST_QUERIES["/api/cohorts"] - 1):
        assert len(items(client.get("/api/cohorts"))) == 3


# --- submitting a response ---------------------------------------------------------------


def test_participant_submits_and_gets_scores(world) -> None:  # type: ignore[no-untyped-def]
    answers = {f"q{i}": 2 for i in range(1, 9)} | {"q9": 0}
    answer = post(client_for(world.p1_user), "/api/responses", response_body(world, answers))
    assert answer.status_code == 201
    body = answer.json()
    assert body["scores"] == {"total": 16.0, "total_band": "moderately_severe"}
    assert body["safety_alert"] is False and body["crisis_contacts"] is None
    stored = Response.objects.get()
    assert stored.pk == body["id"] and stored.entry_mode == "participant_online"
    assert stored.entered_by == world.p1_user


def test_link_participant_submits(world) -> None:  # type: ignore[no-untyped-def]
    client = link_client(world.p1)
    assert post(client, "/api/responses", response_body(world)).status_code == 201
    assert Response.objects.get().entered_by is None


def test_same_client_id_twice_stores_once(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.p1_user)
    body = response_body(world)
    first = post(client, "/api/responses", body)
    second = post(client, "/api/responses", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Response.objects.count() == 1
    hex_form = {**body, "client_id": uuid.UUID(body["client_id"]).hex}
    assert post(client, "/api/responses", hex_form).status_code == 200
    assert Response.objects.count() == 1


def test_same_client_id_different_content_is_409(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.p1_user)
    body = response_body(world)
    assert post(client, "/api/responses", body).status_code == 201
    changed = {**body, "answers": {**factories.PHQ9_ZEROS, "q1": 1}}
    assert post(client, "/api/responses", changed).status_code == 409
    other_form = {**body, "assessment_id": baseline(world.enrolment_p1, "gad7").pk}
    other_form["answers"] = {f"q{i}": 0 for i in range(1, 8)}
    assert post(client, "/api/responses", other_form).status_code == 409
    assert Response.objects.count() == 1


def test_bad_answers_are_422_with_every_problem(world) -> None:  # type: ignore[no-untyped-def]
    answers = {"q1": 5, "q2": "often", "q3": 1.5, "q99": 1}
    answer = post(client_for(world.p1_user), "/api/responses", response_body(world, answers))
    assert answer.status_code == 422
    problems = {p["field"]: p for p in answer.json()["problems"]}
    assert set(problems) == {"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q99"}
    assert problems["q1"]["message"] == "5 is not one of 0, 1, 2, 3"
    assert problems["q4"]["message"] == "Please answer this question."
    assert [o["value"] for o in problems["q1"]["allowed"]["options"]] == [0, 1, 2, 3]
    assert problems["q1"]["allowed"]["options"][0]["label"] == "Not at all"
    assert problems["q99"]["allowed"] is None
    assert Response.objects.count() == 0


def test_bad_client_id_reported_with_the_answer_problems(world) -> None:  # type: ignore[no-untyped-def]
    body = response_body(world, {"q1": 7}, client_id="not-a-uuid")
    answer = post(client_for(world.p1_user), "/api/responses", body)
    assert answer.status_code == 422
    fields = [p["field"] for p in answer.json()["problems"]]
    assert "client_id" in fields and "q1" in fields and "q9" in fields


def test_malformed_body_is_422_in_the_same_shape(world) -> None:  # type: ignore[no-untyped-def]
    answer = post(
        client_for(world.p1_user),
        "/api/responses",
        {"answers": {"q1": [1]}, "client_id": str(uuid.uuid4()), "entry_mode": "fax"},
    )
    assert answer.status_code == 422
    fields = [p["field"] for p in answer.json()["problems"]]
    assert sorted(fields) == ["assessment_id", "entry_mode", "q1"]


def test_json_true_is_refused_not_read_as_one(world) -> None:  # type: ignore[no-untyped-def]
    """A JSON boolean is not an answer: it must not turn into the weight 1 (or 0)."""
    body = response_body(world, {**factories.PHQ9_ZEROS, "q1": True, "q2": False})
    answer = post(client_for(world.p1_user), "/api/responses", body)
    assert answer.status_code == 422
    fields = {p["field"] for p in answer.json()["problems"]}
    assert {"q1", "q2"} <= fields
    assert Response.objects.count() == 0


def test_safety_answer_through_the_api_raises_an_alert(  # type: ignore[no-untyped-def]
    world, django_capture_on_commit_callbacks
) -> None:
    body = response_body(world, {**factories.PHQ9_ZEROS, "q9": 1})
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client_for(world.p1_user), "/api/responses", body)
    assert answer.status_code == 201
    assert answer.json()["safety_alert"] is True
    assert "999" in answer.json()["crisis_contacts"]
    alert = SafetyAlert.objects.get()
    assert alert.item == "q9" and alert.value == 1.0 and alert.is_open
    assert len(mail.outbox) == 1


def test_researcher_cannot_submit(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.researcher_a)
    assert post(client, "/api/responses", response_body(world)).status_code == 403
    assert post(client, "/api/checkins", checkin_body(world)).status_code == 403
    assert Response.objects.count() == 0 and CheckIn.objects.count() == 0


def test_other_site_and_other_participant_get_404(world) -> None:  # type: ignore[no-untyped-def]
    clients = [client_for(world.facilitator_b), client_for(world.p2_user), link_client(world.p2)]
    for client in clients:
        assert post(client, "/api/responses", response_body(world)).status_code == 404
        assert post(client, "/api/checkins", checkin_body(world)).status_code == 404
    assert Response.objects.count() == 0 and CheckIn.objects.count() == 0


def test_facilitator_enters_a_paper_form(world) -> None:  # type: ignore[no-untyped-def]
    answers = {**factories.PHQ9_ZEROS, "q3": None}
    body = response_body(world, answers, entry_mode="staff_paper")
    answer = post(client_for(world.facilitator_a), "/api/responses", body)
    assert answer.status_code == 201
    assert Response.objects.get().entered_by == world.facilitator_a
    assert answer.json()["entry_mode"] == "staff_paper"


def test_a_paper_form_for_a_questionnaire_not_yet_open_is_422(world) -> None:  # type: ignore[no-untyped-def]
    follow_up = world.enrolment_p1.assessments.get(instrument_id="phq9", timepoint="follow_up")
    body = response_body(world, entry_mode="staff_paper", assessment_id=follow_up.pk)
    answer = post(client_for(world.facilitator_a), "/api/responses", body)
    assert answer.status_code == 422
    problem = answer.json()["problems"][0]
    assert problem["field"] == "assessment_id"
    assert f"opens on {follow_up.opens_on:%A %-d %B %Y}" in problem["message"]
    assert not Response.objects.exists()


def test_participant_cannot_claim_a_paper_entry(world) -> None:  # type: ignore[no-untyped-def]
    body = response_body(world, entry_mode="staff_paper")
    answer = post(client_for(world.p1_user), "/api/responses", body)
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["field"] == "entry_mode"


# --- check-ins ---------------------------------------------------------------------------


def test_checkin_submitted_once_per_client_id(world) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.p1_user)
    body = checkin_body(world, practice_type="soothing_breathing")
    first = post(client, "/api/checkins", body)
    assert first.status_code == 201
    assert first.json()["scores"]["mood"] == 6.0 and first.json()["scores"]["pain"] == 7.0
    assert post(client, "/api/checkins", body).status_code == 200
    assert CheckIn.objects.count() == 1
    changed = {**body, "answers": {**CHECKIN, "q1": 2}}
    assert post(client, "/api/checkins", changed).status_code == 409
    next_week = checkin_body(world, week=2)
    assert post(link_client(world.p1), "/api/checkins", next_week).status_code == 201
    assert CheckIn.objects.count() == 2


def test_checkin_422_lists_every_problem(world) -> None:  # type: ignore[no-untyped-def]
    body = checkin_body(world, {"q1": 11, "q6": -1}, week=13, practice_type="yoga")
    answer = post(client_for(world.p1_user), "/api/checkins", body)
    assert answer.status_code == 422
    problems = {p["field"]: p for p in answer.json()["problems"]}
    assert {"q1", "q2", "q3", "q4", "q5", "q6", "week", "practice_type"} <= set(problems)
    assert problems["q1"]["allowed"] == {
        "kind": "integer",
        "options": None,
        "minimum": 0.0,
        "maximum": 10.0,
    }
    practice = [o["value"] for o in problems["practice_type"]["allowed"]["options"]]
    assert "soothing_breathing" in practice
    assert CheckIn.objects.count() == 0


# --- scores ------------------------------------------------------------------------------


def test_scores_over_time_per_persona(world) -> None:  # type: ignore[no-untyped-def]
    p1 = client_for(world.p1_user)
    post(p1, "/api/responses", response_body(world, {**factories.PHQ9_ZEROS, "q1": 3}))
    post(p1, "/api/checkins", checkin_body(world))
    post(p1, "/api/checkins", checkin_body(world, {**CHECKIN, "q1": 8}, week=3))
    url = f"/api/enrolments/{world.enrolment_p1.pk}/scores"
    own = p1.get(url)
    assert own.status_code == 200
    body = own.json()
    assert [q["scores"]["total"] for q in body["questionnaires"]] == [3.0]
    assert [(c["week"], c["scores"]["mood"]) for c in body["checkins"]] == [(1, 6.0), (3, 8.0)]
    assert {s["id"] for s in body["scales"]["checkin"]} >= {"mood", "pain"}
    assert body["scales"]["phq9"][0]["direction"] == "higher_worse"
    researcher = client_for(world.researcher_a).get(url)
    assert researcher.status_code == 200 and researcher.json()["pseudonym"] == "P1"
    assert b"Pat One" not in researcher.content
    assert client_for(world.facilitator_a).get(url).status_code == 200
    assert client_for(world.facilitator_b).get(url).status_code == 404
    assert client_for(world.p2_user).get(url).status_code == 404
    assert link_client(world.p2).get(url).status_code == 404


def test_revoked_personal_link_stops_api_access(world) -> None:  # type: ignore[no-untyped-def]
    link, token = issue_participant_link(participant=world.p1, by=None)
    client = Client()
    client.get(f"/p/{token}/")
    assert client.get("/api/assessments/due").status_code == 200
    revoke_participant_link(link=link, by=None)
    assert client.get("/api/assessments/due").status_code == 401
