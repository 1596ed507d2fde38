"""Loading wording in the admin and with ``balm manage load_wording``: personas, all-or-nothing.

The broken file's problems are worked by hand from PDI's catalogue entry (``wording_support``):
q3 missing, q9 not an item, and the labels given 10..0 where the printed order is 0..10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from tests.web import factories
from tests.web.wording_support import broken_pdi_yaml, pdi_data, pdi_yaml

from balm.accounts.models import User
from balm.audit.models import AuditEvent
from balm.wording import actions
from balm.wording.lookup import answerable_online
from balm.wording.models import InstrumentWording

pytestmark = pytest.mark.django_db

ADD = "/admin/wording/instrumentwording/add/"
LIST = "/admin/wording/instrumentwording/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, site: Any, content: str, name: str = "pdi.yaml", **extra: Any) -> Any:
    return client.post(
        ADD,
        {
            "site": site.pk,
            "instrument": "pdi",
            "file": SimpleUploadedFile(name, content.encode("utf-8")),
            "enable_online": "on",
            **extra,
        },
    )


def test_site_administrator_loads_wording_in_the_admin(world: Any) -> None:
    client = _client(world.admin_a)
    form = client.get(ADD)
    assert form.status_code == 200
    assert list(form.context["form"].fields["site"].queryset) == [world.site_a]
    answer = _post(client, world.site_a, pdi_yaml())
    assert answer.status_code == 302, answer.content.decode()[:2000]
    row = InstrumentWording.objects.get()
    assert (row.site, row.version, row.source_name) == (world.site_a, 1, "pdi.yaml")
    assert answerable_online(world.site_a, "pdi")
    assert AuditEvent.objects.filter(action="wording.load", actor=world.admin_a).count() == 1
    listing = client.get(LIST).content.decode()
    assert "Synthetic licensor Ltd" in listing
    detail = client.get(f"{LIST}{row.pk}/change/").content.decode()
    assert "Synthetic life area 4 (v1)" in detail


def test_a_broken_file_lists_every_problem_and_loads_nothing(world: Any) -> None:
    page = _post(_client(world.admin_a), world.site_a, broken_pdi_yaml())
    assert page.status_code == 200
    problems = page.context["problems"]
    assert [p.split(":")[0] for p in problems] == [
        "items.q3",
        "items.q9",
        "response_sets.disability",
    ]
    assert "out of order" in problems[2]
    assert "Nothing was loaded" in page.content.decode()
    assert not InstrumentWording.objects.exists() and not answerable_online(world.site_a, "pdi")


def test_licence_with_its_file_from_the_form(world: Any) -> None:
    lines = pdi_yaml().splitlines()
    data = "\n".join(line for line in lines if not line.startswith("licence:")) + "\n"
    answer = _post(
        _client(world.admin_a),
        world.site_a,
        data,
        licence_granted_by="Form licensor",
        licence_granted_on="2026-03-04",
        licence_use="group programme outcomes",
        licence_file=SimpleUploadedFile("licence.pdf", b"%PDF-1.4 synthetic"),
    )
    assert answer.status_code == 302
    row = InstrumentWording.objects.get()
    assert row.licence_granted_by == "Form licensor" and row.licence_file_name == "licence.pdf"
    assert bytes(row.licence_file) == b"%PDF-1.4 synthetic"
    url = f"{LIST}{row.pk}/licence/"
    download = _client(world.admin_a).get(url)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 synthetic"
    admin_b = factories.staff("administrator", world.site_b, "admin_b")
    assert _client(admin_b).get(url).status_code == 404


def test_another_sites_administrator_neither_sees_nor_loads(world: Any) -> None:
    row = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data(), by=world.admin_a
    )
    admin_b = factories.staff("administrator", world.site_b, "admin_b")
    client = _client(admin_b)
    assert "Synthetic licensor" not in client.get(LIST).content.decode()
    assert client.get(f"{LIST}{row.pk}/change/").status_code == 404
    page = _post(client, world.site_a, pdi_yaml("b"))
    assert page.status_code == 200 and "site" in page.context["form"].errors
    assert InstrumentWording.objects.count() == 1


@pytest.mark.parametrize("persona", ["facilitator_a", "researcher_a", "p1_user"])
def test_others_are_kept_out_of_the_admin(world: Any, persona: str) -> None:
    client = _client(getattr(world, persona))
    for url in (LIST, ADD):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    assert _post(client, world.site_a, pdi_yaml()).status_code == 302
    assert not InstrumentWording.objects.exists()


def test_superuser_sees_every_sites_wording_and_nobody_edits_one(world: Any) -> None:
    row = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data(), by=world.admin_a
    )
    root = User.objects.create_superuser("root", "root@example.org", "correct horse")
    client = _client(root)
    assert "Synthetic licensor Ltd" in client.get(LIST).content.decode()
    assert client.get(f"{LIST}{row.pk}/delete/").status_code == 403
    before = row.wording
    client.post(f"{LIST}{row.pk}/change/", {"licence_granted_by": "changed"})
    row.refresh_from_db()
    assert row.wording == before and row.licence_granted_by == "Synthetic licensor Ltd"


def test_changelist_actions_enable_and_stop_online(world: Any) -> None:
    row = actions.load_wording(
        site=world.site_a, instrument_id="pdi", data=pdi_data(), by=world.admin_a
    )
    client = _client(world.admin_a)
    client.post(LIST, {"action": "enable_online", "_selected_action": [row.pk]})
    assert answerable_online(world.site_a, "pdi")
    client.post(LIST, {"action": "disable_online", "_selected_action": [row.pk]})
    assert not answerable_online(world.site_a, "pdi")
    actions_done = AuditEvent.objects.filter(action__startswith="wording.online").values_list(
        "action", flat=True
    )
    assert sorted(actions_done) == ["wording.online_disable", "wording.online_enable"]


# --- the management command -----------------------------------------------------------------


def test_command_loads_yaml_and_csv(world: Any, tmp_path: Path) -> None:
    yaml_file = tmp_path / "pdi.yaml"
    yaml_file.write_text(pdi_yaml(), encoding="utf-8")
    call_command("load_wording", "site-a", str(yaml_file), "--online")
    assert answerable_online(world.site_a, "pdi")
    rows = ["part,id,value,text"]
    rows += [f"item,q{n},,CSV life area {n}" for n in range(1, 8)]
    rows += [f"option,disability,{w},csv {w}" for w in range(11)]
    csv_file = tmp_path / "pdi.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    call_command(
        "load_wording",
        "site-a",
        str(csv_file),
        "--instrument",
        "pdi",
        "--granted-by",
        "CSV licensor",
        "--granted-on",
        "2026-04-01",
        "--use",
        "routine care",
    )
    latest = InstrumentWording.objects.get(version=2)
    assert latest.as_wording().items["q7"] == "CSV life area 7"
    assert latest.licence_granted_by == "CSV licensor"


def test_command_refuses_a_broken_file_listing_every_problem(world: Any, tmp_path: Path) -> None:
    path = tmp_path / "pdi.yaml"
    path.write_text(broken_pdi_yaml(), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_wording", "site-a", str(path))
    text = str(caught.value)
    for where in ("items.q3", "items.q9", "response_sets.disability"):
        assert where in text
    assert not InstrumentWording.objects.exists()
    with pytest.raises(CommandError, match="No site 'nowhere'"):
        call_command("load_wording", "nowhere", str(path))
