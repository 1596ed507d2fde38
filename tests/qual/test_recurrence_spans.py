"""The recurrence finds every theme's passages with joins over all themes at once; each count
and exemplar must match what balm.qual.queries.theme_spans gives theme by theme (the
reference path), on the demo set with its coder A IPA themes, plus code and note members."""

from __future__ import annotations

from balm.qual import project as q
from balm.qual.frames import project_frames
from balm.qual.queries import theme_spans
from balm.qual.recurrence import recurrence
from balm.qualitative.demo_set import demo_project


def test_counts_and_exemplars_match_theme_spans_theme_by_theme() -> None:
    project = demo_project()
    # A code member (with its child codes) and an anchored note under a group theme too.
    group = next(t for t in project.themes if t.level == "group")
    source = next(s for s in project.sources if s.case is not None)
    note = q.Note("note:x", "statement", "coder:a", "conceptual", "source", source.id,
                  source.id, 10, 60)  # fmt: skip
    project.notes.append(note)
    parent_code = next(c for c in project.codes if c.parent is None)
    project.themes.append(
        q.Theme("theme:extra", "Extra", "personal", group.id, source.case,
                members=(q.ThemeMember("code", parent_code.id), q.ThemeMember("note", note.id)))
    )  # fmt: skip
    f = project_frames(project)
    rec = recurrence(f.sources, f.codes, f.codings, f.themes, f.theme_members, f.notes)
    case_of = dict(zip(f.sources["source"], f.sources["case"], strict=True))
    texts = dict(zip(f.sources["source"], f.sources["text"], strict=True))
    checked = 0
    for theme in f.themes.loc[f.themes["level"] == "group", "theme"]:
        spans = theme_spans(theme, f.themes, f.theme_members, f.codes, f.codings, f.notes)
        spans = spans.assign(case=spans["source"].map(case_of))
        for case in rec.cases:
            mine = spans[spans["case"] == case]
            cell = rec.long[(rec.long["theme"] == theme) & (rec.long["case"] == case)].iloc[0]
            assert cell["passages"] == len(mine)
            if len(mine):
                fits = mine[(mine["end"] - mine["start"]) <= 300]
                longest = (fits["end"] - fits["start"]).max()
                assert len(cell["exemplar"]) == longest
                assert (
                    cell["exemplar"]
                    == texts[cell["exemplar_source"]][cell["exemplar_start"] : cell["exemplar_end"]]
                )
                checked += 1
    assert checked >= 24
