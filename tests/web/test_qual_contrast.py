"""WCAG contrast of code colours against published figures."""

from __future__ import annotations

import pytest

from balm.web.contrast import INK, WHITE, contrast, luminance, text_on


def test_black_on_white_is_21_to_1() -> None:
    # WCAG 2.2 "contrast ratio" note: ratios range from 1:1 to 21:1 (black on white).
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert luminance("#ffffff") == pytest.approx(1.0)


def test_grey_767676_is_the_lightest_grey_passing_on_white() -> None:
    # Widely published (e.g. WebAIM contrast checker): #767676 on white is 4.54:1, the
    # lightest grey meeting 4.5:1; #777777 is 4.48:1 and fails.
    assert contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.005)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.005)


def test_hand_worked_mid_red() -> None:
    # #ff0000: L = 0.2126 (only the red channel, linearised 1.0); on white:
    # (1.05) / (0.2126 + 0.05) = 3.998...
    assert luminance("#ff0000") == pytest.approx(0.2126)
    assert contrast("#ff0000", WHITE) == pytest.approx(1.05 / 0.2626)


def test_text_on_picks_the_more_readable_ink() -> None:
    assert text_on("#1d4ed8") == WHITE  # dark blue
    assert text_on("#fde047") == INK  # yellow
