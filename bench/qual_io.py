"""Benchmark: importing transcripts (with pseudonymisation) and REFI-QDA export / re-import.

Makes 100 synthetic .docx transcripts of 10,000 words each (made-up words, planted made-up
names, e-mail addresses and phone numbers), imports them into one project with
pseudonymisation (goal: under 10 s), adds about 20,000 codings, then writes the project as a
.qdpx and reads it back (goal: under 5 s each). Prints wall-clock and CPU seconds (on a shared
machine the CPU time is the steadier figure), asserts nothing. Run with
``python bench/qual_io.py``.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from balm.qual import NameLists, Project, PseudonymMap, add_source_file, read_qdpx, write_qdpx
from balm.qual.project import Code, Coding, User, new_id, now

N_FILES = 100
WORDS = 10_000
CODINGS_PER_SOURCE = 200

VOCABULARY = [
    "pain",
    "group",
    "body",
    "kind",
    "voice",
    "breath",
    "tired",
    "sleep",
    "walk",
    "friend",
    "week",
    "morning",
    "better",
    "worse",
    "flare",
    "rest",
    "calm",
    "pacing",
    "kinder",
    "myself",
    "hurt",
    "care",
    "notice",
    "soothe",
    "fear",
    "shame",
    "compassion",
    "work",
    "home",
    "family",
    "doctor",
    "tablets",
    "evening",
    "back",
    "knee",
    "neck",
    "head",
    "heavy",
    "light",
    "slowly",
]
STAFF = ("Dr Anya Patel", "Mo Brennan", "Kit Laine")
OTHERS = ("Tom Baker", "Priya Rao", "Sol Dune", "Ida Vale")
PLACES = (("Larkfield", "place"), ("Brightwork Ltd", "employer"), ("Fenmoor", "place"))


def _paragraphs(rng: random.Random, participant: str) -> list[str]:
    paragraphs = []
    words = 0
    turn = 0
    while words < WORDS:
        speaker = "Interviewer" if turn % 2 == 0 else participant
        body = [rng.choice(VOCABULARY) for _ in range(rng.randint(40, 120))]
        if turn % 7 == 3:
            body.insert(5, rng.choice(OTHERS))
        if turn % 11 == 5:
            body.insert(3, f"{participant.lower()}.{turn}@example.org")
        if turn % 13 == 6:
            body.insert(8, "07700 900" + f"{turn % 1000:03d}")
        if turn % 5 == 1:
            body.insert(2, rng.choice(STAFF + tuple(p for p, _ in PLACES)))
        paragraphs.append(f"{speaker}: " + " ".join(body) + ".")
        words += len(body)
        turn += 1
    return paragraphs


def _make_files(folder: Path) -> list[tuple[Path, str]]:
    import docx

    rng = random.Random(2024)
    made = []
    for i in range(N_FILES):
        participant = f"Person{i:03d}"
        document = docx.Document()
        for paragraph in _paragraphs(rng, participant):
            document.add_paragraph(paragraph)
        path = folder / f"interview_{i:03d}.docx"
        document.save(str(path))
        made.append((path, participant))
    return made


class _Timer:
    def __enter__(self) -> _Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        start = time.perf_counter()
        files = _make_files(folder)
        made = time.perf_counter() - start
        print(f"made {N_FILES} .docx transcripts of ~{WORDS:,} words: {made:.1f} s (not timed)")

        project = Project("bench", created=now())
        mapping = PseudonymMap()
        replacements = 0
        with _Timer() as timer:
            for index, (path, participant) in enumerate(files):
                names = NameLists(
                    participant=(participant,), others=OTHERS, staff=STAFF, terms=PLACES
                )
                report = add_source_file(
                    project, path, case=f"P{index:03d}", names=names, mapping=mapping, by="Ann"
                )
                replacements += len(report.replacements)
        characters = sum(len(s.text) for s in project.sources)
        print(
            f"import + pseudonymise {N_FILES} files ({characters:,} characters, "
            f"{replacements:,} replacements): {timer} (goal < 10 s)"
        )

        rng = random.Random(7)
        coders = [User(new_id(), name) for name in ("Ben", "Cy")]
        project.users += coders
        codes = [Code(new_id(), f"code {i}") for i in range(30)]
        project.codes += codes
        for source in project.sources:
            for _ in range(CODINGS_PER_SOURCE):
                turn = rng.choice(source.turns)
                begin = rng.randint(turn.start, turn.end - 2)
                end = rng.randint(begin + 1, turn.end)
                coding = Coding(
                    new_id(), source.id, begin, end, rng.choice(codes).id, rng.choice(coders).id
                )
                project.codings.append(coding)
        path = folder / "bench.qdpx"
        with _Timer() as timer:
            write_qdpx(project, path)
        size = path.stat().st_size / 1e6
        print(
            f"write .qdpx ({len(project.codings):,} codings, {size:.1f} MB): {timer} (goal < 5 s)"
        )
        with _Timer() as timer:
            again = read_qdpx(path)
        print(f"read .qdpx back ({len(again.codings):,} codings): {timer} (goal < 5 s)")


if __name__ == "__main__":
    main()
