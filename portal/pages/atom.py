"""The Atom 1.0 feed (RFC 4287) of the published status's changes, built with xml.etree.

Ids are `urn:uuid` name-based UUIDs (RFC 9562, version 5) of the attestation that made the change,
and of the chain's first attestation for the feed itself: stable for as long as the chain, the same
on every replica, and never derived from the request's Host (which a client chooses). Links are
relative references, resolved against the feed's own URL (RFC 4287 section 4.2.7): the portal knows
no public base URL of its own, and the bytes stay the same whatever address served them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from portal.pages.markup import child, document, element
from reserves.read.display import iso, percent
from reserves.read.status_feed import StatusChange, StatusChanges

ATOM = "http://www.w3.org/2005/Atom"
SELF = "/feed.atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
# The namespace of this portal's name-based UUIDs (fixed: changing it changes every id).
NAMESPACE = uuid.UUID("16bcf7c8-7d3d-4ec6-be79-a6fa711cf848")
EPOCH = "1970-01-01T00:00:00Z"  # the feed's `updated` before the first change: fixed, so is its ETag
ARROW = "\u2192"


@dataclass(frozen=True)
class FeedInfo:
    """Who publishes the feed (the portal's settings)."""

    token_symbol: str
    issuer_name: str
    issuer_url: str | None = None


def entry_id(attestation_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'status-change:' + attestation_id)}"


def feed_id(first_attestation_id: str | None) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'status-feed:' + (first_attestation_id or 'none'))}"


def entry_title(change: StatusChange) -> str:
    """The title, as "healthy → warning: ratio 99.80%" (the first attestation has no status before it)."""
    ratio = "no ratio" if change.ratio_bp is None else f"ratio {percent(change.ratio_bp)}"
    if change.from_status is None:
        return f"{change.to_status} (first attestation): {ratio}"
    return f"{change.from_status} {ARROW} {change.to_status}: {ratio}"


def entry_content(change: StatusChange) -> str:
    """The entry as plain text, one fact a line."""
    lines = [
        f"Status: {change.to_status}" + ("" if change.from_status is None else f" (was {change.from_status})"),
        f"Ratio: {'none (a source could not be read)' if change.ratio_bp is None else percent(change.ratio_bp)}",
        f"Attestation: sequence {change.sequence}, id {change.attestation_id}",
        f"Issued at: {iso(change.at)}",
    ]
    if change.reason:
        lines.append(f"Why: {change.reason}")
    return "\n".join(lines)


def feed_xml(info: FeedInfo, feed: StatusChanges) -> bytes:
    """The feed of `feed.changes` (newest first) as an Atom document (UTF-8)."""
    root = element("feed", {"xmlns": ATOM})
    child(root, "id", None, feed_id(feed.first_attestation_id))
    child(root, "title", {"type": "text"}, f"{info.token_symbol} proof of reserves: status changes")
    child(
        root,
        "subtitle",
        {"type": "text"},
        f"Each change of the status signed in {info.issuer_name}'s attestations, newest first. "
        "A status that turns stale only because no new attestation came is shown on the dashboard, not here.",
    )
    child(root, "updated", None, iso(feed.changes[0].at) if feed.changes else EPOCH)
    author = child(root, "author")
    child(author, "name", None, info.issuer_name)
    if info.issuer_url:
        child(author, "uri", None, info.issuer_url)
    child(root, "link", {"rel": "self", "type": "application/atom+xml", "href": SELF})
    child(root, "link", {"rel": "alternate", "type": "text/html", "href": "/"})
    for change in feed.changes:
        _entry(root, change)
    return document(root)


def _entry(root, change: StatusChange) -> None:
    entry = child(root, "entry")
    child(entry, "id", None, entry_id(change.attestation_id))
    child(entry, "title", {"type": "text"}, entry_title(change))
    child(entry, "updated", None, iso(change.at))
    child(entry, "published", None, iso(change.at))
    page = f"/attestations/{change.attestation_id}"
    child(entry, "link", {"rel": "alternate", "type": "text/html", "href": page})
    child(entry, "link", {"rel": "related", "type": "application/json", "href": "/api/v1" + page})
    child(entry, "category", {"term": change.to_status})
    child(entry, "summary", {"type": "text"}, change.reason or entry_title(change))
    child(entry, "content", {"type": "text"}, entry_content(change))
