"""The reserves badge as SVG, in the flat style of shields.io: a grey label, then the ratio and the
status of now on the status's colour.

No font files and no measuring: each text's width is the sum of approximate advance widths of
Verdana at 11 px (what the badge names first), and `textLength` pins the drawn text to it, so the
badge looks the same with whichever font the viewer falls back to. No script and no `style`: every
colour and font is a presentation attribute (the portal's CSP refuses inline style). Colours are
picked so that their text reaches WCAG AA's 4.5:1 contrast; the text colour is the one of white
and near-black that contrasts more, and tests/portal/test_badge.py holds each at 4.5:1 or more.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from portal.pages.markup import Attributes, child, document, element

HEIGHT = 20
PAD = 6  # px each side of a text
FONT = "Verdana,Geneva,DejaVu Sans,sans-serif"
FONT_SIZE = 11
BASELINE = 14
MAX_CHARS = 48  # a longer text is cut with an ellipsis (token symbols are at most 32 characters)

LABEL_COLOUR = "#555555"
COLOURS = {
    "healthy": "#1a7f37",  # green
    "warning": "#f0b429",  # amber (dark text)
    "undercollateralized": "#c62828",  # red
    "stale": "#afb8c1",  # light grey (dark text): apart from the label's dark grey
}
NO_DATA_COLOUR = "#afb8c1"
LIGHT_TEXT, DARK_TEXT = "#ffffff", "#1f2328"

# Advance widths of Verdana at 11 px (units per em / 2048 * 11), printable ASCII.
_WIDTHS = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        (
            [3.87, 4.33, 5.05, 9.0, 7.0, 11.84, 7.99, 2.95, 4.99, 4.99, 7.0, 9.0, 4.0, 4.99, 4.0, 4.99]
            + [7.0] * 10
            + [4.99, 4.99, 9.0, 9.0, 9.0, 6.0, 11.0]
            + [7.52, 7.56, 7.68, 8.48, 6.95, 6.32, 8.53, 8.27, 4.61, 5.0, 7.62, 6.12, 9.27]
            + [8.23, 8.66, 6.63, 8.66, 7.65, 7.52, 6.78, 8.05, 7.52, 10.87, 7.54, 6.77, 7.53]
            + [4.99, 4.99, 4.99, 9.0, 7.0, 7.0]
            + [6.61, 6.85, 5.73, 6.85, 6.55, 3.87, 6.85, 6.96, 3.02, 3.79, 6.51, 3.02, 10.7]
            + [6.96, 6.68, 6.85, 6.85, 4.69, 5.73, 4.33, 6.96, 6.51, 8.99, 6.51, 6.51, 5.83]
            + [6.98, 4.99, 6.98, 9.0]
        ),
        strict=True,
    )
)
_OTHER = 7.5  # a character outside ASCII
_WIDE = 11.0  # East Asian wide and full-width characters


def char_width(c: str) -> float:
    """The approximate advance of `c` in px: combining marks take none, wide characters a full em."""
    known = _WIDTHS.get(c)
    if known is not None:
        return known
    if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0.0
    return _WIDE if unicodedata.east_asian_width(c) in ("W", "F") else _OTHER


def text_width(text: str) -> int:
    """The width of `text` in whole px (rounded up: never narrower than the drawn text)."""
    return -int(-sum(char_width(c) for c in text) // 1)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_colour(background: str) -> str:
    """White or near-black, whichever contrasts more with `background`."""
    return max((LIGHT_TEXT, DARK_TEXT), key=lambda t: contrast(t, background))


@dataclass(frozen=True)
class Badge:
    """What the badge says: `label` on the left, `value` on `colour` on the right, `title` for readers."""

    label: str
    value: str
    colour: str

    @property
    def title(self) -> str:
        return f"{self.label}: {self.value}"


def reserves_badge(token_symbol: str, status: str | None, ratio_percent: str | None) -> Badge:
    """The badge of the status of now (`stale` once the attestation is too old; None before the
    first one): "100.42% healthy", "stale", "n/a"."""
    label = f"{token_symbol} reserves" if token_symbol.strip() else "reserves"
    if status is None:
        return Badge(label, "n/a", NO_DATA_COLOUR)
    # A stale ratio speaks for no one; a status without liabilities has no ratio.
    value = status if status == "stale" or ratio_percent is None else f"{ratio_percent} {status}"
    return Badge(label, value, COLOURS.get(status, NO_DATA_COLOUR))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "\u2026"


def svg(badge: Badge) -> bytes:
    """The badge as an SVG document (UTF-8)."""
    label, value = _cut(badge.label), _cut(badge.value)
    label_text, value_text = text_width(label), text_width(value)
    left, right = label_text + 2 * PAD, value_text + 2 * PAD
    width = left + right
    title = f"{label}: {value}"
    root = element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": width,
            "height": HEIGHT,
            "viewBox": f"0 0 {width} {HEIGHT}",
            "role": "img",
            "aria-label": title,
        },
    )
    child(root, "title", None, title)
    # The value's colour under the whole badge, the label's over its left part; the third rectangle
    # squares the label's right corners, so only the badge's outer corners are round.
    child(root, "rect", {"width": width, "height": HEIGHT, "rx": 3, "fill": badge.colour})
    child(root, "rect", {"width": left, "height": HEIGHT, "rx": 3, "fill": LABEL_COLOUR})
    child(root, "rect", {"x": left - 3, "width": 3, "height": HEIGHT, "fill": LABEL_COLOUR})
    text = child(
        root,
        "g",
        {"text-anchor": "middle", "font-family": FONT, "font-size": FONT_SIZE, "aria-hidden": "true"},
    )
    for x, colour, words, length in (
        (left / 2, text_colour(LABEL_COLOUR), label, label_text),
        (left + right / 2, text_colour(badge.colour), value, value_text),
    ):
        attributes: Attributes = {"x": _number(x), "y": BASELINE, "fill": colour}
        if length:
            attributes |= {"textLength": length, "lengthAdjust": "spacingAndGlyphs"}
        child(text, "text", attributes, words)
    return document(root)


def _number(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.1f}"
