"""The recurrence table's cells, written as HTML by the view (not the template language):
count with its plural, the exemplar quoted and escaped, "none" for an empty cell."""

from __future__ import annotations

from balm.web.views.qual_themes import _cell


def test_cells_say_the_count_and_quote_the_exemplar_escaped() -> None:
    assert _cell(0, "") == '<td><span class="muted">none</span></td>'
    assert _cell(1, "It helped") == (
        '<td class="present"><span class="count">1 passage</span><q>It helped</q></td>'
    )
    two = _cell(2, 'I said "<stop>" & left')
    assert '<span class="count">2 passages</span>' in two
    assert "<q>I said &quot;&lt;stop&gt;&quot; &amp; left</q>" in two
