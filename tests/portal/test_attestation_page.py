"""The page of one attestation at /attestations/{id}: figures, links, finality, signatures, the document, the
verifier script with its integrity; a malformed or unknown id is a 400 or 404 page, never a 500."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from portal.pages.attestation import verifier_script
from tests.world import world


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with world(tmp_path_factory.mktemp("attestation-page")) as w:
        yield w, [w.snapshot() for _ in range(2)]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_the_page_shows_the_attestation(chain):
    w, (first, second) = chain
    r = w.client.get(f"/attestations/{second['id']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    doc = second["attestation"]
    assert f"Attestation {doc['sequence']}" in html
    assert f'href="/attestations/{first["id"]}"' in html and 'rel="prev"' in html
    assert "Newest attestation: no next yet" in html
    assert doc["reserves"]["total_sat"] in html and doc["supply"]["total_sat"] in html
    assert f"version {doc['reserves']['reserve_set']['version']}" in html
    # Never "3 of 2": at or past the threshold it counts the guardians who signed.
    assert "2 of 3 guardians signed (2 required)" in html or "of 2 guardian signatures required (3 guardians)" in html
    assert f'href="/api/v1/attestations/{second["id"]}"' in html
    # The document, indented, in a <pre> (escaped by Jinja).
    assert f"&#34;format&#34;: &#34;{doc['format']}&#34;" in html or "&quot;format&quot;" in html
    assert 'data-check="signatures"' in html and "some fail" not in html
    # The first one links forward, not back.
    html0 = w.client.get(f"/attestations/{first['id']}").text
    assert f'href="/attestations/{second["id"]}"' in html0 and "First attestation: no previous" in html0


def test_tables_have_captions_and_scoped_headers(chain):
    w, (_, second) = chain
    found = tags(w.client.get(f"/attestations/{second['id']}").text)
    assert sum(1 for t, _ in found if t == "table") == sum(1 for t, _ in found if t == "caption") >= 4
    assert all("scope" in a for t, a in found if t == "th")
    assert not any("style" in a for _, a in found)


def test_the_verifier_script_is_the_bundle_with_its_integrity(chain):
    w, (_, second) = chain
    found = tags(w.client.get(f"/attestations/{second['id']}").text)
    scripts = [a for t, a in found if t == "script" and "verify-" in a.get("src", "")]
    script = verifier_script()
    assert scripts == [{"src": script.src, "integrity": script.integrity, "crossorigin": "anonymous", "defer": None}]
    live = [a for t, a in found if a.get("aria-live") == "polite" and "data-verify-result" in a]
    assert len(live) == 1
    # Next to the verdict, the script shows the verified document's own id and figures (filled in by the script).
    shown = [a for t, a in found if t == "table" and "data-verify-document" in a]
    assert shown == [{"data-verify-document": None, "hidden": None}]
    assert w.client.get(script.src).status_code == 200
    # Only on the attestation page.
    assert "/static/verify-" not in w.client.get("/").text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/attestations/" + "0" * 64, 404),
        ("/attestations/" + "A" * 64, 400),
        ("/attestations/xyz", 400),
        ("/attestations/" + "0" * 65, 400),
        ("/attestations/%00", 400),
        ("/attestations/" + "é" * 64, 400),
    ],
)
def test_a_bad_or_unknown_id_is_a_clear_page(chain, path, status):
    w, _ = chain
    r = w.client.get(path)
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    assert f'data-status="{status}"' in r.text


def test_the_server_checks_match_reserves_verify(chain):
    w, (first, second) = chain
    from reserves.attestation.verify import verify_chain

    engine = {k["pubkey"]: k["key_id"] for k in w.client.get("/api/v1/keys").json()["keys"] if k["role"] == "engine"}
    report = verify_chain([first, second], engine, allow_pending=True)
    html = w.client.get(f"/attestations/{second['id']}").text
    for check in report.checks:
        name = check.name.replace("doc[0].", "previous.").replace("doc[1].", "")
        assert f'data-check="{name}"' in html, name
    assert report.ok and json.dumps(second["id"])
