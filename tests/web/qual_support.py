"""A small qualitative project at site A for the workspace tests: two coders' codings on one
transcript of P1, a code tree, a memo; and a researcher at site B."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from tests.web import factories
from tests.web.conftest import World

from balm.accounts.models import User
from balm.qualitative import actions
from balm.qualitative.models import Code, Coding, QualProject, Source

TRANSCRIPT = (
    "Interviewer: How did the group go for you?\n"
    "P1: At first I was wary. Then I found the breathing helped when the pain flared.\n"
    "Interviewer: What was hard?\n"
    "P1: Being kind to myself. It felt like giving up. Later it felt like strength."
)


@dataclass
class QualWorld:
    world: World
    researcher_b: User
    coder_2: User
    project: QualProject
    source: Source
    parent: Code
    code: Code
    other_code: Code
    coding_a: Coding
    coding_b: Coding


def qual_world(world: World) -> QualWorld:
    researcher_b = factories.staff("researcher", world.site_b, "res_b")
    coder_2 = factories.staff("researcher", world.site_a, "res_a2")
    project = actions.create_project(site=world.site_a, name="Study A", by=world.researcher_a)
    source = actions.add_source(
        project=project,
        name="P1 interview",
        text=TRANSCRIPT,
        participant=world.p1,
        by=world.researcher_a,
    ).source
    parent = actions.add_code(project=project, name="Coping", by=world.researcher_a)
    code = actions.add_code(
        project=project, name="Breathing", parent=parent, colour="#1d4ed8", by=world.researcher_a
    )
    other = actions.add_code(project=project, name="Self-kindness", by=world.researcher_a)
    at = source.text.index("the breathing helped")
    coding_a = actions.add_coding(
        source=source, start=at, end=at + 20, code=code, by=world.researcher_a
    )
    coding_b = actions.add_coding(source=source, start=at + 4, end=at + 20, code=code, by=coder_2)
    return QualWorld(
        world, researcher_b, coder_2, project, source, parent, code, other, coding_a, coding_b
    )


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
