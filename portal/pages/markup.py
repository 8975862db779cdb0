"""XML made with xml.etree (which escapes `&`, `<`, `>` and quotes), never by joining strings: the
badge's SVG and the Atom feed."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

# Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab and newlines, lone
# surrogates, U+FFFE and U+FFFF): replaced, so that text from settings or the outbox never makes a
# document no parser reads.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


Attributes = dict[str, str | int]


def element(tag: str, attributes: Attributes | None = None, text: str | None = None) -> ET.Element:
    """An element with `attributes` and `text`, every character made one XML can carry."""
    node = ET.Element(tag, {k: xml_text(str(v)) for k, v in (attributes or {}).items()})
    if text is not None:
        node.text = xml_text(text)
    return node


def child(parent: ET.Element, tag: str, attributes: Attributes | None = None, text: str | None = None) -> ET.Element:
    """`element(...)` appended to `parent`."""
    node = element(tag, attributes, text)
    parent.append(node)
    return node


def document(root: ET.Element) -> bytes:
    """`root` as a UTF-8 document with an XML declaration."""
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
