"""The reserves badge: what it says for each status, its widths from the text, escaping, colours whose
text contrast meets WCAG AA, and an SVG with no script or inline style (portal.pages.badge_svg)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from portal.pages.badge_svg import (
    COLOURS,
    LABEL_COLOUR,
    MAX_CHARS,
    NO_DATA_COLOUR,
    PAD,
    Badge,
    char_width,
    contrast,
    luminance,
    reserves_badge,
    svg,
    text_colour,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == SVG + "svg"
    return root


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(SVG + "text"))


@pytest.mark.parametrize(
    "status, ratio, value",
    [
        ("healthy", "100.42%", "100.42% healthy"),
        ("warning", "99.80%", "99.80% warning"),
        ("undercollateralized", "97.01%", "97.01% undercollateralized"),
        ("stale", "100.42%", "stale"),  # a ratio that no longer speaks for now is not shown
        ("stale", None, "stale"),
        ("healthy", None, "healthy"),  # no liabilities: no ratio
        (None, None, "n/a"),  # before the first attestation
    ],
)
def test_what_each_status_says(status, ratio, value):
    badge = reserves_badge("RBTC", status, ratio)
    assert badge.label == "RBTC reserves" and badge.value == value
    assert badge.colour == (NO_DATA_COLOUR if status is None else COLOURS[status])
    root = parse(svg(badge))
    assert root.find(SVG + "title").text == f"RBTC reserves: {value}" == root.get("aria-label")
    assert [t.text for t in texts(root)] == ["RBTC reserves", value]


def test_without_a_symbol_the_label_is_reserves():
    assert reserves_badge("", "healthy", "100.00%").label == "reserves"
    assert reserves_badge("  ", "healthy", "100.00%").label == "reserves"


def test_each_status_has_its_own_colour():
    assert len({COLOURS[s] for s in ("healthy", "warning", "undercollateralized", "stale")}) == 4
    assert LABEL_COLOUR not in (COLOURS["healthy"], COLOURS["warning"], COLOURS["undercollateralized"])


@pytest.mark.parametrize("background", [LABEL_COLOUR, NO_DATA_COLOUR, *COLOURS.values()])
def test_text_contrast_meets_wcag_aa(background):
    assert contrast(text_colour(background), background) >= 4.5


def test_the_drawn_text_colour_is_the_contrasting_one():
    for status in COLOURS:
        root = parse(svg(reserves_badge("RBTC", status, "100.00%")))
        label, value = texts(root)
        assert label.get("fill") == text_colour(LABEL_COLOUR)
        assert value.get("fill") == text_colour(COLOURS[status])
        assert contrast(value.get("fill"), COLOURS[status]) >= 4.5


def test_contrast_against_the_wcag_reference_values():
    assert luminance("#ffffff") == pytest.approx(1.0) and luminance("#000000") == 0.0
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    assert contrast("#1a7f37", "#ffffff") == contrast("#ffffff", "#1a7f37")


def test_widths_follow_the_text():
    assert text_width("") == 0
    assert char_width("i") < char_width("a") < char_width("m") < char_width("W") + 1
    assert text_width("100.00% healthy") < text_width("100.00% undercollateralized")
    assert text_width("ill") < text_width("mmm")  # per character, not a fixed width per character
    assert char_width("\u0301") == 0.0  # a combining accent takes no room of its own
    assert char_width("\u6e2f") > char_width("a")  # a wide (CJK) character takes a full em
    for words in ("n/a", "stale", "100.42% healthy", "97.01% undercollateralized"):
        badge = Badge("RBTC reserves", words, COLOURS["healthy"])
        root = parse(svg(badge))
        label, value = texts(root)
        assert int(value.get("textLength")) == text_width(words)
        assert int(root.get("width")) == text_width("RBTC reserves") + text_width(words) + 4 * PAD
        assert root.get("viewBox") == f"0 0 {root.get('width')} 20" and root.get("height") == "20"
        # Each text sits in the middle of its part.
        left = text_width("RBTC reserves") + 2 * PAD
        assert float(label.get("x")) == left / 2
        assert float(value.get("x")) == left + (text_width(words) + 2 * PAD) / 2


def test_text_is_escaped_and_the_svg_carries_no_script_or_style():
    hostile = '<script>alert("x")</script>&amp;"\'>'
    data = svg(reserves_badge(hostile[:32], "healthy", "100.00%"))
    root = parse(data)  # well-formed whatever the symbol holds
    assert texts(root)[0].text == hostile[:32] + " reserves"
    assert b"<script" not in data and b"</script>" not in data
    tags = {e.tag.removeprefix(SVG) for e in root.iter()}
    assert tags <= {"svg", "title", "rect", "g", "text"}
    for e in root.iter():
        assert "style" not in e.attrib and not any(a.startswith("on") for a in e.attrib), e.attrib
        assert not any("href" in a for a in e.attrib)  # nothing loaded from anywhere


def test_characters_xml_cannot_carry_are_replaced():
    data = svg(reserves_badge("R\x00B\x1bT\ufffeC\ud800", "healthy", "100.00%"))
    assert texts(parse(data))[0].text == "R\ufffdB\ufffdT\ufffdC\ufffd reserves"


def test_long_text_is_cut():
    root = parse(svg(Badge("x" * 100, "healthy", COLOURS["healthy"])))
    label = texts(root)[0].text
    assert len(label) == MAX_CHARS and label.endswith("\u2026")
    assert int(root.get("width")) < 600
