"""Offline suggestions: key phrases, candidate groupings of passages, similar passages.

Everything here is a :class:`Suggestion`: a proposal a person may accept or ignore; nothing
here changes a project. Text is weighted by TF-IDF (scikit-learn ``TfidfVectorizer`` with its
English stop-word list, sublinear term frequency, l2-normalised rows); groupings come from
non-negative matrix factorisation (NMF, ``nndsvda`` start) or k-means, both seeded so the same
input gives the same suggestions; similarity is the cosine of TF-IDF vectors. No network, no
downloaded model.

References: Salton G, Buckley C (1988). Term-weighting approaches in automatic text
retrieval. Inf Process Manag 24:513-523. Lee DD, Seung HS (1999). Learning the parts of
objects by non-negative matrix factorization. Nature 401:788-791.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from balm.qual.analysis_errors import QualAnalysisError
from balm.qual.frame_checks import require

PASSAGE_COLUMNS = ["passage", "source", "start", "end", "text"]

# The default tokeniser splits "didn't" into "didn" and "t"; the halves carry no meaning, and
# scikit-learn's English list has neither, so they would lead the key phrases of talk.
_CONTRACTION_PARTS = frozenset(
    [
        "aren",
        "couldn",
        "didn",
        "doesn",
        "don",
        "hadn",
        "hasn",
        "haven",
        "isn",
        "ll",
        "mustn",
        "needn",
        "re",
        "shan",
        "shouldn",
        "ve",
        "wasn",
        "weren",
        "won",
        "wouldn",
    ]
)
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | _CONTRACTION_PARTS)


@dataclass(frozen=True)
class Suggestion:
    """A proposal for a person to review; ``status`` is always "suggested" when made here."""

    kind: Literal["key_phrases", "grouping", "similar"]
    score: float
    members: tuple[str, ...]
    label_terms: tuple[str, ...]
    method: str
    status: str = "suggested"
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "score": self.score,
            "members": list(self.members),
            "label_terms": list(self.label_terms),
            "method": self.method,
            "notes": list(self.notes),
        }


def passages(
    sources: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    codings: pd.DataFrame | None = None,
    skip_speakers: Sequence[str] = (),
) -> pd.DataFrame:
    """The passages suggestions work on: speaker turns (``segments``) or codings.

    Exactly one of ``segments`` and ``codings`` is given. Returns ``passage`` (the coding id,
    or ``source:start-end`` for a turn), ``source``, ``start``, ``end`` and ``text``
    (``sources.text[start:end]``), in the order given. A turn's text leaves out its
    ``Speaker:`` label (a name is not what the passage is about), and turns of the speakers
    in ``skip_speakers`` (for example the interviewer's questions) are left out.
    """
    require(sources, "sources")
    spans = segments if segments is not None else codings
    if spans is None or (segments is not None and codings is not None):
        raise QualAnalysisError(["give either the segments or the codings, not both or neither"])
    if segments is not None and skip_speakers:
        spans = segments[~segments["speaker"].isin(list(skip_speakers)).fillna(False)]
    texts = dict(zip(sources["source"].astype(str), sources["text"].astype(str), strict=True))
    src = spans["source"].astype(str).tolist()
    start = spans["start"].to_numpy(dtype=np.int64)
    end = spans["end"].to_numpy(dtype=np.int64)
    missing = sorted({s for s in src if s not in texts})
    if missing:
        raise QualAnalysisError([f"source {s} is not in the project" for s in missing])
    if codings is not None:
        ids = codings["coding"].astype(str).tolist()
    else:
        ids = [f"{s}:{a}-{b}" for s, a, b in zip(src, start, end, strict=True)]
    text = [texts[s][int(a) : int(b)] for s, a, b in zip(src, start, end, strict=True)]
    if segments is not None:
        speakers = spans["speaker"].tolist()
        text = [_without_label(t, who) for t, who in zip(text, speakers, strict=True)]
    return pd.DataFrame(
        {"passage": ids, "source": src, "start": start, "end": end, "text": text},
        columns=PASSAGE_COLUMNS,
    )


def _without_label(text: str, speaker: object) -> str:
    if isinstance(speaker, str) and text.startswith(speaker + ":"):
        return text[len(speaker) + 1 :].lstrip()
    return text


def _vectoriser(ngram_range: tuple[int, int], min_df: int | float) -> TfidfVectorizer:
    return TfidfVectorizer(
        stop_words=STOP_WORDS,
        ngram_range=ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        lowercase=True,
    )


def _fit(texts: Sequence[str], ngram_range: tuple[int, int], min_df: int | float) -> Any:
    vectoriser = _vectoriser(ngram_range, min_df)
    try:
        matrix = vectoriser.fit_transform(list(texts))
    except ValueError as error:  # empty vocabulary: nothing but stop words or blanks
        raise QualAnalysisError([f"no words to work with after stop words ({error})"]) from error
    return vectoriser, matrix


def key_phrases(
    sources: pd.DataFrame,
    *,
    top_n: int = 10,
    ngram_range: tuple[int, int] = (1, 2),
    source_ids: Sequence[str] | None = None,
    segments: pd.DataFrame | None = None,
    skip_speakers: Sequence[str] = (),
) -> list[Suggestion]:
    """The ``top_n`` n-grams with the highest TF-IDF weight in each source.

    IDF is learnt over the chosen sources, so a phrase every source uses weighs little.
    One Suggestion per source: members ``(source id,)``, label_terms the phrases (highest
    first), score the weight of the top phrase. With ``segments`` a source's text is its
    speaker turns without their ``Speaker:`` labels, less the turns of ``skip_speakers``
    (see :func:`passages`).
    """
    require(sources, "sources")
    chosen = sources
    if source_ids is not None:
        chosen = sources[sources["source"].astype(str).isin(list(source_ids))]
    ids = chosen["source"].astype(str).tolist()
    texts = chosen["text"].astype(str).tolist()
    if segments is not None:
        mine = segments[segments["source"].astype(str).isin(ids)]
        turns = passages(chosen, segments=mine, skip_speakers=skip_speakers)
        joined = turns.groupby("source", sort=False)["text"].agg("\n".join)
        texts = [str(joined.get(source, "")) for source in ids]
    vectoriser, matrix = _fit(texts, ngram_range, 1)
    terms = vectoriser.get_feature_names_out()
    out = []
    csr = matrix.tocsr()
    for row, source in enumerate(ids):
        cols, weights = _row(csr, row)
        order = _top_sparse(cols, weights, top_n)
        out.append(
            Suggestion(
                kind="key_phrases",
                score=float(weights[order[0]]) if order.size else 0.0,
                members=(source,),
                label_terms=tuple(str(terms[cols[i]]) for i in order),
                method=f"TF-IDF over {len(ids)} sources, n-grams {ngram_range[0]}-{ngram_range[1]}",
            )
        )
    return out


def _row(csr: Any, row: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Column indices and weights of one row of a CSR matrix (no dense copy)."""
    lo, hi = csr.indptr[row], csr.indptr[row + 1]
    return np.asarray(csr.indices[lo:hi], dtype=np.intp), np.asarray(csr.data[lo:hi], float)


def _top_sparse(
    cols: npt.NDArray[np.intp], weights: npt.NDArray[np.float64], n: int
) -> npt.NDArray[np.intp]:
    """Positions of the n largest positive weights; ties to the lower column.

    scikit-learn numbers the vocabulary in alphabetical order, so ties go alphabetically.
    """
    keep = np.flatnonzero(weights > 0)
    order = np.lexsort((cols[keep], -weights[keep]))
    return keep[order[:n]].astype(np.intp)


def _top(weights: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.intp]:
    """Indices of the n largest positive weights of a dense vector, ties to the lower index."""
    return _top_sparse(np.arange(weights.size, dtype=np.intp), weights, n)


def group_passages(
    passages_frame: pd.DataFrame,
    *,
    n_groups: int = 8,
    method: Literal["nmf", "kmeans"] = "nmf",
    seed: int = 0,
    top_terms: int = 6,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int | float = 2,
) -> list[Suggestion]:
    """Candidate groupings of passages (possible codes or themes) for a person to review.

    Each passage goes to the group where its NMF weight is largest (or to its k-means
    cluster); passages with no weight at all stay ungrouped. One Suggestion per non-empty
    group: members the passage ids, label_terms the group's heaviest terms, score the mean
    cosine of the members to the group's centre (how tight the group is). Terms must occur
    in at least ``min_df`` passages (in at least one when there are fewer than 20 passages).
    """
    if method not in ("nmf", "kmeans"):
        raise QualAnalysisError([f"method {method!r} is not one of nmf, kmeans"])
    texts = passages_frame["text"].astype(str).tolist()
    if len(texts) < n_groups or n_groups < 2:
        raise QualAnalysisError(
            [f"grouping needs at least 2 groups and as many passages ({len(texts)} given)"]
        )
    vectoriser, matrix = _fit(texts, ngram_range, min_df if len(texts) >= 20 else 1)
    terms = vectoriser.get_feature_names_out()
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if method == "nmf":
            model = NMF(n_components=n_groups, init="nndsvda", random_state=seed, max_iter=400)
            weights = model.fit_transform(matrix)
            label = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
            components = model.components_
        else:
            kmeans = KMeans(n_clusters=n_groups, random_state=seed, n_init=4)
            label = kmeans.fit_predict(matrix)
            components = kmeans.cluster_centers_
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.append("the model did not fully converge; treat these groups with extra care")
    ids = passages_frame["passage"].astype(str).to_numpy()
    out = []
    for group in range(n_groups):
        members = np.flatnonzero(label == group)
        if members.size == 0:
            continue
        centre = np.asarray(matrix[members].mean(axis=0)).ravel()
        norm = np.linalg.norm(centre)
        tight = float((matrix[members] @ (centre / norm)).mean()) if norm > 0 else 0.0
        order = _top(np.asarray(components[group], dtype=np.float64), top_terms)
        out.append(
            Suggestion(
                kind="grouping",
                score=tight,
                members=tuple(ids[members].tolist()),
                label_terms=tuple(str(terms[i]) for i in order),
                method=f"TF-IDF + {method.upper() if method == 'nmf' else 'k-means'}, "
                f"{n_groups} groups, seed {seed}",
                notes=tuple(notes),
            )
        )
    return out


def similar_passages(
    passages_frame: pd.DataFrame,
    passage: str,
    *,
    top_n: int = 10,
    ngram_range: tuple[int, int] = (1, 2),
) -> list[Suggestion]:
    """Passages most like ``passage`` by cosine similarity of TF-IDF vectors.

    One Suggestion per similar passage (the passage itself left out; zero similarity left
    out), best first, ties by the order given: members ``(passage id,)``, score the cosine,
    label_terms the terms the two share, heaviest first.
    """
    ids = passages_frame["passage"].astype(str).tolist()
    if passage not in ids:
        raise QualAnalysisError([f"passage {passage!r} is not among the passages"])
    vectoriser, matrix = _fit(passages_frame["text"].astype(str).tolist(), ngram_range, 1)
    terms = vectoriser.get_feature_names_out()
    row = ids.index(passage)
    query = matrix[row]
    cosine = np.asarray((matrix @ query.T).todense()).ravel()  # rows are l2-normalised
    cosine[row] = 0.0
    order = [i for i in np.argsort(-cosine, kind="stable")[:top_n] if cosine[i] > 0]
    q_cols, q_weights = _row(query.tocsr(), 0)
    csr = matrix.tocsr()
    out = []
    for i in order:
        cols, weights = _row(csr, int(i))
        common, qi, ri = np.intersect1d(q_cols, cols, assume_unique=True, return_indices=True)
        shared = q_weights[qi] * weights[ri]
        out.append(
            Suggestion(
                kind="similar",
                score=float(cosine[i]),
                members=(ids[int(i)],),
                label_terms=tuple(str(terms[common[j]]) for j in _top_sparse(common, shared, 5)),
                method=f"cosine of TF-IDF vectors over {len(ids)} passages, like {passage}",
            )
        )
    return out
