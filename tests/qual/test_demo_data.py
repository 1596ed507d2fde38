"""Checks on the synthetic qualitative demo set in src/balm/qual/demo (plain pytest, no Django).

The set is made up for balm: six interviews named by demo cohort pseudonyms, one facilitator focus
group, a codebook, two demo coders' codings and an IPA theme structure. These tests keep the files
consistent with each other so later features (coding views, agreement, recurrence tables) can load
them without special cases.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "balm" / "qual" / "demo"
INTERVIEWS = {
    "interview_aspen.txt": "Aspen",
    "interview_birch.txt": "Birch",
    "interview_cedar.txt": "Cedar",
    "interview_elm.txt": "Elm",
    "interview_larch.txt": "Larch",
    "interview_maple.txt": "Maple",
}
FOCUS_GROUP = "focus_group_facilitators.txt"
SPEAKERS = {name: {"Interviewer", who} for name, who in INTERVIEWS.items()}
SPEAKERS[FOCUS_GROUP] = {"Interviewer", "F1", "F2"}
TRANSCRIPTS = sorted(SPEAKERS)
# Planted fictional phone numbers use Ofcom's range reserved for drama (07700 900000-900999).
PLANTED_PHONE = re.compile(r"^07700900\d{3}$")


def _yaml(name: str) -> Any:
    return yaml.safe_load((DEMO / name).read_text(encoding="utf-8"))


def _text(name: str) -> str:
    return (DEMO / name).read_text(encoding="utf-8")


def _codebook_codes() -> dict[str, dict[str, Any]]:
    return {
        code["name"]: code for group in _yaml("codebook.yaml")["groups"] for code in group["codes"]
    }


def _codings() -> list[dict[str, Any]]:
    codings: list[dict[str, Any]] = _yaml("codings.yaml")["codings"]
    return codings


# --- transcripts -------------------------------------------------------------------------------


def test_the_folder_holds_exactly_the_expected_transcripts() -> None:
    assert sorted(p.name for p in DEMO.glob("*.txt")) == TRANSCRIPTS


def test_interviewees_are_demo_cohort_pseudonyms_who_started_the_group() -> None:
    # Read PSEUDONYMS from the demo module's source so this test needs no Django.
    tree = ast.parse((ROOT / "src" / "balm" / "web" / "demo.py").read_text(encoding="utf-8"))
    pseudonyms = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "PSEUDONYMS" for t in node.targets)
    )
    interviewees = set(INTERVIEWS.values())
    assert interviewees <= set(pseudonyms)
    # The demo withdraws Holly before the first session; everyone interviewed must have started.
    assert "Holly" not in interviewees


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_transcript_is_utf8_with_lf_and_one_turn_per_paragraph(name: str) -> None:
    raw = (DEMO / name).read_bytes()
    text = raw.decode("utf-8")  # strict: raises on a stray byte
    assert b"\r" not in raw
    assert text.endswith("\n") and not text.endswith("\n\n")
    prefix = re.compile(r"^(?P<who>[A-Za-z0-9]+): \S")
    seen: set[str] = set()
    for number, paragraph in enumerate(text.rstrip("\n").split("\n\n"), start=1):
        assert "\n" not in paragraph, f"{name}: paragraph {number} spans several lines"
        match = prefix.match(paragraph)
        assert match is not None, f"{name}: paragraph {number} has no speaker prefix"
        assert match["who"] in SPEAKERS[name], f"{name}: paragraph {number}: {match['who']}"
        seen.add(match["who"])
    assert seen == SPEAKERS[name]


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_transcript_length_is_about_fifteen_hundred_words(name: str) -> None:
    words = len(_text(name).split())
    assert 1200 <= words <= 1900, f"{name}: {words} words"


# Any run of 10+ digits (spaces, hyphens, brackets or a leading + allowed between them).
PHONE_LIKE = re.compile(r"\+?\d[\d \-()]{8,}\d")
EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _phone_numbers(text: str) -> list[str]:
    digits = (re.sub(r"\D", "", m.group()) for m in PHONE_LIKE.finditer(text))
    return [d for d in digits if len(d) >= 10]


def test_contact_detail_scan_finds_what_it_should() -> None:
    """Hand-made cases: the scan must see both a planted and a real-looking number."""
    text = "ring 07700 900461 or (01632) 960-000, or +44 20 7946 0000; 116 123 is short"
    assert _phone_numbers(text) == ["07700900461", "01632960000", "442079460000"]
    assert EMAIL_LIKE.search("write to someone@example.org today")


def test_no_contact_details_except_planted_drama_range_numbers() -> None:
    planted = 0
    for path in sorted(DEMO.iterdir()):
        text = path.read_text(encoding="utf-8")
        assert EMAIL_LIKE.search(text) is None, f"{path.name}: e-mail address"
        for number in _phone_numbers(text):
            assert PLANTED_PHONE.match(number), f"{path.name}: {number} outside 07700 900xxx"
            planted += path.suffix == ".txt"
    # The set plants a few so that the demo can show pseudonymisation finding them.
    assert planted >= 2


def test_planted_identifiers_are_in_their_transcripts() -> None:
    planted = _yaml("planted_identifiers.yaml")
    assert sorted(planted) == TRANSCRIPTS
    for name, items in planted.items():
        text = _text(name)
        for item in items:
            assert item["kind"] in {"person", "place", "organisation", "pet", "phone"}
            assert re.search(rf"\b{re.escape(item['text'])}\b", text), f"{name}: {item['text']}"
            if item["kind"] == "phone":
                assert PLANTED_PHONE.match(item["text"].replace(" ", "")), item["text"]


# --- codebook ----------------------------------------------------------------------------------


def _relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour "#RRGGBB".

    L = 0.2126 R + 0.7152 G + 0.0722 B, each channel c = v/255 linearised as c/12.92 when
    c <= 0.04045, else ((c + 0.055)/1.055) ** 2.4 (WCAG 2.0/2.1 print 0.03928, WCAG 2.2 notes
    0.04045 from the sRGB standard; no 8-bit value falls between them).
    """
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_against_white(colour: str) -> float:
    """WCAG 2.x contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter; white has L = 1."""
    return 1.05 / (_relative_luminance(colour) + 0.05)


def test_contrast_formula_on_hand_worked_colours() -> None:
    # Black: L = 0, so 1.05 / 0.05 = 21 (the WCAG maximum).
    assert _contrast_against_white("#000000") == pytest.approx(21.0)
    # Pure red: channels 1, 0, 0 give L = 0.2126, so 1.05 / 0.2626 = 3.9985.
    assert _contrast_against_white("#FF0000") == pytest.approx(3.9985, abs=5e-5)
    # #767676: c = 118/255 = 0.462745; ((c + 0.055)/1.055)^2.4 = 0.490754^2.4
    # = exp(2.4 ln 0.490754) = exp(-1.708349) = 0.181165 = L (grey); 1.05 / 0.231165 = 4.542.
    assert _contrast_against_white("#767676") == pytest.approx(4.542, abs=5e-4)


def test_codebook_has_five_groups_of_codes_with_unique_names() -> None:
    groups = _yaml("codebook.yaml")["groups"]
    assert len(groups) == 5
    names = [code["name"] for group in groups for code in group["codes"]]
    assert 12 <= len(names) <= 20
    assert len(set(names)) == len(names)
    assert not set(names) & {group["name"] for group in groups}


def test_every_code_and_group_has_a_one_sentence_description_and_a_margin_colour() -> None:
    groups = _yaml("codebook.yaml")["groups"]
    entries = [*groups, *(code for group in groups for code in group["codes"])]
    for entry in entries:
        description = entry["description"]
        assert description.endswith(".") and ". " not in description, entry["name"]
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", entry["colour"]), entry["name"]
        # WCAG 2.x SC 1.4.11 (non-text contrast): graphical objects need 3:1 against adjacent
        # colours; the margin bar sits on white.
        assert _contrast_against_white(entry["colour"]) >= 3.0, entry["name"]


# --- codings -----------------------------------------------------------------------------------


def test_two_named_demo_coders() -> None:
    data = _yaml("codings.yaml")
    assert data["coder_a"] == "Demo coder A"
    assert data["coder_b"] == "Demo coder B"
    assert {c["coder"] for c in data["codings"]} == {"a", "b"}


def test_every_quote_occurs_exactly_once_in_its_source() -> None:
    problems = []
    for coding in _codings():
        count = _text(coding["source"]).count(coding["quote"]) if coding["quote"] else 0
        if count != 1:
            problems.append(f"{coding['source']} ({count}x): {coding['quote'][:60]}")
    assert problems == []


def test_every_code_used_is_in_the_codebook_and_every_code_is_used() -> None:
    codes = set(_codebook_codes())
    used = {coding["code"] for coding in _codings()}
    assert used - codes == set()
    assert codes - used == set()


def test_each_coder_codes_every_transcript_without_duplicates() -> None:
    codings = _codings()
    keys = [(c["source"], c["coder"], c["code"], c["quote"]) for c in codings]
    assert len(set(keys)) == len(keys)
    per_coder = Counter(c["coder"] for c in codings)
    assert 75 <= per_coder["a"] <= 130 and 75 <= per_coder["b"] <= 130
    for coder in ("a", "b"):
        assert {c["source"] for c in codings if c["coder"] == coder} == set(TRANSCRIPTS)


Span = tuple[str, str, str, int, int]  # source, coder, code, start, end


def _overlap_agreement(spans: list[Span]) -> float:
    """Share of codings matched by the other coder: same source and code, overlapping text.

    A simple proxy (not a chance-corrected coefficient): a coding counts as agreed when the
    other coder applied the same code to a passage that overlaps it, whatever the boundaries.
    """
    agreed = sum(
        any(
            o[0] == s[0] and o[1] != s[1] and o[2] == s[2] and o[3] < s[4] and s[3] < o[4]
            for o in spans
        )
        for s in spans
    )
    return agreed / len(spans)


def test_overlap_agreement_on_a_hand_worked_case() -> None:
    # A codes x at 0-10, y at 20-30, z at 40-50; B codes x at 5-15 (overlaps: both agree),
    # w at 20-30 (same text, other code: neither agrees). Agreed 2 of 5 = 0.4.
    spans: list[Span] = [
        ("t", "a", "x", 0, 10),
        ("t", "a", "y", 20, 30),
        ("t", "a", "z", 40, 50),
        ("t", "b", "x", 5, 15),
        ("t", "b", "w", 20, 30),
    ]
    assert _overlap_agreement(spans) == pytest.approx(0.4)


def _demo_spans() -> list[Span]:
    spans = []
    for c in _codings():
        start = _text(c["source"]).index(c["quote"])
        spans.append((c["source"], c["coder"], c["code"], start, start + len(c["quote"])))
    return spans


def test_demo_coders_mostly_agree_but_not_always() -> None:
    """The set is meant to show realistic disagreement: roughly 70-85% overlap agreement,
    with all three kinds of difference present (boundaries, codes, passages one coder left)."""
    spans = _demo_spans()
    assert 0.70 <= _overlap_agreement(spans) <= 0.85
    by_text = {(s[0], s[3], s[4]): set() for s in spans}
    for s in spans:
        by_text[(s[0], s[3], s[4])].add((s[1], s[2]))
    same_text_other_code = [
        pairs
        for pairs in by_text.values()
        if {c for c, _ in pairs} == {"a", "b"} and len({code for _, code in pairs}) > 1
    ]
    assert same_text_other_code, "no passage where the coders chose different codes"
    same_code_other_bounds = [
        s
        for s in spans
        if any(
            o[0] == s[0]
            and o[1] != s[1]
            and o[2] == s[2]
            and (o[3], o[4]) != (s[3], s[4])
            and o[3] < s[4]
            and s[3] < o[4]
            for o in spans
        )
    ]
    assert same_code_other_bounds, "no passage coded alike with different boundaries"
    unmatched = [
        s
        for s in spans
        if not any(o[0] == s[0] and o[1] != s[1] and o[3] < s[4] and s[3] < o[4] for o in spans)
    ]
    assert {s[1] for s in unmatched} == {"a", "b"}, "each coder should code something alone"


# --- themes ------------------------------------------------------------------------------------


def test_personal_themes_refer_to_existing_coder_a_codings() -> None:
    themes = _yaml("themes.yaml")
    assert themes["coder"] == "a"
    coder_a = {(c["source"], c["quote"], c["code"]) for c in _codings() if c["coder"] == "a"}
    missing = [
        (theme["id"], ref["code"], ref["quote"][:50])
        for theme in themes["personal_themes"]
        for ref in theme["codings"]
        if (theme["source"], ref["quote"], ref["code"]) not in coder_a
    ]
    assert missing == []


def test_personal_themes_belong_to_the_right_interviewee() -> None:
    themes = _yaml("themes.yaml")["personal_themes"]
    ids = [theme["id"] for theme in themes]
    assert len(set(ids)) == len(ids)
    for theme in themes:
        assert INTERVIEWS[theme["source"]] == theme["participant"], theme["id"]
        assert theme["codings"], theme["id"]
    per_person = Counter(theme["participant"] for theme in themes)
    assert set(per_person) == set(INTERVIEWS.values())
    assert all(2 <= n <= 4 for n in per_person.values()), per_person


def test_group_themes_partition_the_personal_themes_and_recur() -> None:
    themes = _yaml("themes.yaml")
    owner = {theme["id"]: theme["participant"] for theme in themes["personal_themes"]}
    groups = themes["group_themes"]
    assert len(groups) == 5
    grouped = [pet for group in groups for pet in group["personal_themes"]]
    assert sorted(grouped) == sorted(owner), "each personal theme in exactly one group theme"
    # A recurrence table (group theme x interviewee) with content: every group theme is present
    # for at least half of the six interviewees.
    for group in groups:
        people = {owner[pet] for pet in group["personal_themes"]}
        assert len(people) >= 3, group["id"]
