"""Which budget a request spends: its route class, from the method and path alone (no regex, no router).

| class | routes |
| --- | --- |
| `expensive` | `/api/v1/evidence/...`, `/api/v1/history`, `/history`, `/api/v1/prices/history`, |
| | `/api/v1/attestations` (list), |
| | `.../pending`, an attestation's page `/attestations/{id}` (its checks run on two documents) |
| `pages` | `/`, `/partials/...` and the area pages (`/reserves`, `/supply`, `/proofs`, `/attestations`, |
| | `/monitor`, `/reconciliation`, `/providers`, `/trust`, `/prices`), rendered from the database |
| `signatures` | `POST /api/v1/attestations/{id}/signatures` (guardians) |
| `admin` | `/admin/...` (and `admin_failures`, spent by each 401 answer) |
| `static` | `/static/...` |
| `api` | everything else: cheap GETs (`/api/v1/providers`, `/badge.svg`, `/feed.atom`), `/healthz`, `/schema`, |
| | `POST /api/v1/challenges` |

`POST /api/v1/challenges` spends `api` before its body is read, and the `challenges` budgets once its
nonce is valid (portal.api.proofs).
"""

from __future__ import annotations

API, STATIC, PAGES, EXPENSIVE, SIGNATURES, ADMIN = "api", "static", "pages", "expensive", "signatures", "admin"
ADMIN_FAILURES, CHALLENGES, CHALLENGES_ALL = "admin_failures", "challenges", "challenges_all"

_EXACT = {
    "/": PAGES,
    "/api/v1/history": EXPENSIVE,
    "/history": EXPENSIVE,  # the page reads the same buckets on each request
    "/api/v1/prices/history": EXPENSIVE,  # buckets, like /api/v1/history
    "/api/v1/attestations": EXPENSIVE,
    "/api/v1/attestations/pending": EXPENSIVE,
    "/admin": ADMIN,
    "/static": STATIC,
    "/partials": PAGES,
    **dict.fromkeys(
        (
            "/reserves",
            "/supply",
            "/proofs",
            "/attestations",
            "/monitor",
            "/reconciliation",
            "/providers",
            "/trust",
            "/prices",
        ),
        PAGES,
    ),
}
_PREFIXES = (
    ("/static/", STATIC),
    ("/api/v1/evidence/", EXPENSIVE),
    ("/partials/", PAGES),
    ("/admin/", ADMIN),
    ("/attestations/", EXPENSIVE),
)
_ANY_PREFIX = tuple(p for p, _ in _PREFIXES)
_SIGNED = "/api/v1/attestations/"


def route_class(method: str, path: str) -> str:
    """The route class of a request (see the module's table); a trailing slash changes nothing."""
    if path.endswith("/") and len(path) > 1:
        path = path.rstrip("/") or "/"
    found = _EXACT.get(path)
    if found is not None:
        return found
    if path.startswith(_ANY_PREFIX):
        for prefix, name in _PREFIXES:
            if path.startswith(prefix):
                return name
    if method == "POST" and path.startswith(_SIGNED) and path.endswith("/signatures"):
        return SIGNATURES
    return API
