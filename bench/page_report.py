"""Page heights and weights of a running portal, with screenshots: `python -m bench.page_report BASE_URL OUT_DIR`.

For each page, in Chromium at 1400x900 (desktop) and 390x844 (phone): the document's height in CSS
pixels, the HTML's bytes (uncompressed and gzip) and the bytes of every request the page made, and a
full-page screenshot. The figures behind the issue 14 note ("page heights and weights before and after").
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
PAGES = ["/", "/reserves", "/supply", "/proofs", "/attestations", "/history", "/monitor", "/reconciliation", "/trust"]


def report(base: str, out: Path, pages: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for path in pages:
            html = httpx.get(base + path, timeout=30)
            row = {
                "page": path,
                "status": html.status_code,
                "html_bytes": len(html.content),
                "html_gzip": len(gzip.compress(html.content)),
            }
            for name, (w, h) in SIZES.items():
                page = browser.new_page(viewport={"width": w, "height": h}, is_mobile=name == "phone")
                sizes: list[int] = []
                page.on("requestfinished", lambda r, s=sizes: s.append(r.sizes()["responseBodySize"]))
                page.goto(base + path, wait_until="networkidle")
                row[f"{name}_height"] = page.evaluate("() => document.documentElement.scrollHeight")
                row[f"{name}_requests"] = len(sizes)
                row[f"{name}_bytes"] = sum(sizes)
                slug = path.strip("/").replace("/", "_") or "overview"
                page.screenshot(path=str(out / f"{slug}-{name}.png"), full_page=True)
                page.screenshot(path=str(out / f"{slug}-{name}-first-screen.png"))
                page.close()
            rows.append(row)
        browser.close()
    return rows


if __name__ == "__main__":
    base, out = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    rows = report(base, out, sys.argv[3:] or PAGES)
    print(f"{'page':<18}{'HTML':>9}{'gzip':>8}{'desk h':>9}{'phone h':>9}{'reqs':>6}{'all bytes':>11}")
    for r in rows:
        print(
            f"{r['page']:<18}{r['html_bytes']:>9}{r['html_gzip']:>8}{r['desktop_height']:>9}{r['phone_height']:>9}"
            f"{r['desktop_requests']:>6}{r['desktop_bytes']:>11}"
        )
    (out / "report.json").write_text(json.dumps(rows, indent=2))
