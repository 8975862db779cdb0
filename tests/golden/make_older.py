"""Write older.json: format 3 documents and a chain going from format 1 to 2 to 3 (run once, pre-redesign).

They are stored documents from then on: the golden test only verifies them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from reserves.attestation import envelope, sign
from tests.attestation.helpers import ISSUED, key, make_body
from tests.attestation.test_format3 import as_format_2

HERE = Path(__file__).resolve().parent


def main() -> None:
    signer = key(9, "golden-older")
    f3 = [envelope(sign(make_body(0), [signer]))]
    f3.append(envelope(sign(make_body(1, f3[0]["id"], issued=ISSUED + timedelta(minutes=1)), [signer])))
    old = json.loads((HERE.parent / "attestation" / "fixtures" / "format1.json").read_text())["chain"]
    f2 = envelope(sign(as_format_2(make_body(2, old[-1]["id"], issued=ISSUED + timedelta(minutes=1))), [signer]))
    f3b = envelope(sign(make_body(3, f2["id"], issued=ISSUED + timedelta(minutes=2)), [signer]))
    data = {"trusted": {signer.pubkey_hex: "golden-older"}, "format3": f3, "mixed": old + [f2, f3b]}
    (HERE / "older.json").write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
