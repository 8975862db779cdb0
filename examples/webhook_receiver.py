"""An example receiver of the portal's webhooks: verify, de-duplicate, then act. Python stdlib only
(plus `cryptography` for the optional Ed25519 check).

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py 9000
    # or, without a shared secret, with the portal's published key (GET /api/v1/webhooks/keys):
    WEBHOOK_PUBLIC_KEY=whpk_... python examples/webhook_receiver.py 9000

Subscribe it with `reserves webhooks add http://127.0.0.1:9000/hook -e attestation.published`
(http and loopback need `[webhooks] allow_http` and `allow_private_targets`, as on the devnet).
It answers 204 once a request is verified (or was already seen), 400 otherwise. The work itself
should be queued and done after answering: the portal waits at most its timeout (15 s default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE = 300  # seconds, both ways: what every Standard Webhooks library uses
MAX_BODY = 1 << 20
seen: dict[str, float] = {}  # webhook-id -> when; use Redis or your database in production


def verify(headers, body: bytes) -> dict:
    """The parsed event if one signature entry is valid and the timestamp recent; raises ValueError otherwise."""
    msg_id, ts, header = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not (msg_id and ts and header) or not ts.isdigit():
        raise ValueError("missing or malformed webhook headers")
    if abs(time.time() - int(ts)) > TOLERANCE:
        raise ValueError("timestamp outside the tolerance (replay?)")
    content = f"{msg_id}.{ts}.".encode() + body
    entries = [e.partition(",")[::2] for e in header.split(" ")]
    secret = os.environ.get("WEBHOOK_SECRET")
    if secret:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        if any(v == "v1" and hmac.compare_digest(s, expected) for v, s in entries):
            return json.loads(body)
    public = os.environ.get("WEBHOOK_PUBLIC_KEY")
    if public:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        pk = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))
        for version, sig in entries:
            if version == "v1a":
                try:
                    pk.verify(base64.b64decode(sig), content)
                    return json.loads(body)
                except (InvalidSignature, ValueError):
                    continue
    raise ValueError("no valid signature")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            return self._answer(413)
        body = self.rfile.read(length)
        try:
            event = verify({k.lower(): v for k, v in self.headers.items()}, body)
        except ValueError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return self._answer(400)
        msg_id = self.headers["webhook-id"]
        if msg_id not in seen:  # a retry of a delivery already handled: acknowledge, do nothing
            seen[msg_id] = time.time()
            ref = event["data"].get("attestation") or {}
            print(
                f"{event['type']} #{event.get('delivery_sequence')} attestation {ref.get('id', '-')}: {event['data']}",
                flush=True,
            )
        self._answer(204)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    if not (os.environ.get("WEBHOOK_SECRET") or os.environ.get("WEBHOOK_PUBLIC_KEY")):
        sys.exit("set WEBHOOK_SECRET (whsec_...) or WEBHOOK_PUBLIC_KEY (whpk_...)")
    print(f"listening on http://127.0.0.1:{port}/", file=sys.stderr)
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
