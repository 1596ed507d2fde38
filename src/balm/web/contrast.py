"""Colour contrast as WCAG 2.2 defines it, for code colours shown on the page.

Relative luminance ``L = 0.2126 R + 0.7152 G + 0.0722 B`` of the linearised sRGB channels
(``c / 12.92`` when ``c <= 0.04045``, else ``((c + 0.055) / 1.055) ** 2.4``), and the contrast
ratio ``(L1 + 0.05) / (L2 + 0.05)`` with ``L1`` the lighter (WCAG 2.2, "relative luminance"
and "contrast ratio" definitions; success criteria 1.4.3: 4.5:1 for text, 1.4.11: 3:1 for
graphical objects such as a colour swatch or underline).
"""

from __future__ import annotations

TEXT_MINIMUM = 4.5
GRAPHIC_MINIMUM = 3.0
WHITE = "#ffffff"
INK = "#1d2730"  # balm.css --ink
PAPER = "#fbfaf7"  # balm.css --paper


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """Contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(colour: str) -> str:
    """Black-ish ink or white, whichever reads better on ``colour``."""
    return INK if contrast(INK, colour) >= contrast(WHITE, colour) else WHITE
