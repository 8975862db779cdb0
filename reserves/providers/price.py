"""The BTC price a snapshot values non-BTC collateral with: THE ONE PLACE the price oracle plugs in.

Until the oracle (issue 15, "Price oracle") lands, `snapshot_price` answers with
`DEVNET_PRICE_STUB` on the devnet and with None elsewhere, so USD collateral is `unknown` on a real
deployment instead of being valued with a made-up price. To plug the oracle in: make
`snapshot_price` return the oracle's aggregate of this snapshot as a `collateral.Price` (pair
"BTC-USD", price_e8 = USD per BTC times 10**8, its time, `fresh` as the oracle decides, its source
name), or None when the oracle has none.
"""

from __future__ import annotations

from datetime import datetime

from reserves.attestation.collateral import PAIR, Price
from reserves.settings.model import Settings
from reserves.storage.db import Database

# A stub, named as such: a fixed devnet price (97,123.45 USD per BTC), fresh at every snapshot.
DEVNET_PRICE_E8 = 9_712_345_000_000
DEVNET_PRICE_SOURCE = "devnet-fixed-price-stub"


def devnet_price_stub(now: datetime) -> Price:
    """The devnet's fixed BTC-USD price, stamped `now` (a stub until the oracle lands)."""
    return Price(pair=PAIR, price_e8=DEVNET_PRICE_E8, time=now, fresh=True, source=DEVNET_PRICE_SOURCE)


async def snapshot_price(db: Database, settings: Settings, now: datetime) -> Price | None:
    """The BTC-USD price of the snapshot taken at `now`, None when there is none (see the module docstring).

    `db` is where the oracle will read its stored aggregate from; unused until then.
    """
    del db
    return devnet_price_stub(now) if settings.devnet.enabled else None
