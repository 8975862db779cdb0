"""The dashboard's live refresh: the htmx SSE extension, served from the package as npm built it."""

from __future__ import annotations

import json
from pathlib import Path

from litestar.testing import TestClient

from portal.app import STATIC, create_app
from tests.stream.conftest import bare_settings
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]
SSE_EXT = "htmx-ext-sse-2.2.4.min.js"


def test_the_committed_sse_extension_is_the_one_npm_installs():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["htmx-ext-sse"]
    assert f"htmx-ext-sse-{pinned}.min.js" == SSE_EXT  # an exact version, named in the file
    built = ROOT / "node_modules" / "htmx-ext-sse" / "dist" / "sse.min.js"
    require(built.exists(), "node_modules/htmx-ext-sse missing (make setup-test runs npm install)")
    assert json.loads((built.parents[1] / "package.json").read_text())["version"] == pinned
    assert (STATIC / SSE_EXT).read_bytes() == built.read_bytes()


def test_the_dashboard_listens_to_the_stream_and_still_polls_slowly(tmp_path):
    with TestClient(create_app(bare_settings(tmp_path))) as client:
        html = client.get("/").text
        assert f'<script src="/static/{SSE_EXT}" defer></script>' in html
        assert 'hx-ext="sse" sse-connect="/api/v1/events/stream"' in html
        assert "sse:attestation.published" in html and "sse:attestation.finalized" in html
        assert 'every 30s"' in html  # the fallback when the stream is unavailable
        # Without JavaScript the page is complete: the summary is rendered into it, not fetched.
        assert 'id="summary"' in html
        js = client.get(f"/static/{SSE_EXT}")
        assert js.status_code == 200 and js.content == (STATIC / SSE_EXT).read_bytes()
