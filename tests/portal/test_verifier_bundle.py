"""The committed browser verifier: rebuilt from node_modules it is the same bytes, its sha384 is the manifest's and
the page's integrity value, and the npm packages in it are exactly those package-lock.json pins."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

from portal.pages.attestation import MANIFEST, verifier_script
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "portal" / "static"


def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def bundle() -> bytes:
    return (STATIC / manifest()["file"]).read_bytes()


def test_one_bundle_named_by_its_content_and_recorded_by_its_sha384():
    found = sorted(p.name for p in STATIC.glob("verify-*.js"))
    data = bundle()
    assert found == [manifest()["file"]] == [f"verify-{hashlib.sha256(data).hexdigest()[:16]}.js"]
    sri = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert manifest()["sha384"] == sri == verifier_script().integrity


def test_rebuilding_from_node_modules_gives_the_committed_bytes(tmp_path):
    require(shutil.which("node") is not None, "node not installed")
    require((ROOT / "node_modules" / "esbuild").is_dir(), "node_modules missing (make setup-test installs it)")
    subprocess.run(["node", "scripts/build-verifier.mjs", "--out", str(tmp_path)], cwd=ROOT, check=True, timeout=60)
    built = json.loads((tmp_path / "verify.manifest.json").read_text())
    assert built == manifest()
    assert (tmp_path / built["file"]).read_bytes() == bundle()


def test_bundled_packages_are_the_locked_versions():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    declared = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    packages = manifest()["packages"]
    assert {p["name"] for p in packages} == {"@noble/curves", "@noble/hashes"}
    for p in packages:
        locked = lock["packages"][f"node_modules/{p['name']}"]
        assert (p["version"], p["integrity"]) == (locked["version"], locked["integrity"]), p["name"]
        assert declared[p["name"]] == p["version"], f"{p['name']} is not pinned to an exact version in package.json"
        # Each package names itself in the bundle's module comments (esbuild keeps the source paths).
        assert f"node_modules/{p['name']}/" in bundle().decode()
    assert declared["esbuild"] == lock["packages"]["node_modules/esbuild"]["version"] == manifest()["esbuild"]


def test_the_bundle_needs_no_eval():
    text = bundle().decode()
    assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(", text)
    assert "innerHTML" not in text  # verdicts are written as text, never parsed as markup


def test_the_id_checked_comes_from_the_address_not_the_page():
    """A server-written attribute could name an older, genuinely signed attestation under made-up figures."""
    text = bundle().decode()
    assert "window.location.pathname" in text
    assert "dataset.attestationId" not in text
