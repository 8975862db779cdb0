"""Esplora reads of mint-to-deposit reconciliation: one output of a deposit, payments to an address, spent prevouts."""

from __future__ import annotations

from dataclasses import dataclass

from chains.bitcoin.esplora.client import EsploraClient, EsploraTx
from chains.bitcoin.esplora.tx import MAX_TX_IO
from chains.errors import ChainDataError

# An address asked about by a burn is chosen by whoever burns: its history is read up to this many
# transactions (each page is size-capped by the client), never paged for ever.
MAX_PAYMENT_HISTORY = 1000
# Inputs of one release whose spent outputs are looked up (one request each, cached per reader).
MAX_INPUTS_CHECKED = 20


class EsploraNotFound(ChainDataError):
    """The server answered 404: it does not know the transaction (or output) asked for."""

    code = "not_found"


@dataclass(frozen=True)
class Payment:
    """Output `vout` of confirmed transaction `txid` paying `value_sat` to the address asked about.

    `height` is the block it confirmed in; `inputs` are the outpoints the transaction spends.
    """

    txid: str
    vout: int
    value_sat: int
    height: int
    inputs: tuple[tuple[str, int], ...]


class ReconcileEsplora(EsploraClient):
    """The Esplora client plus the lookups reconciliation needs; a 404 is an answer, not a failure.

    Transactions are cached for the reader's life (one reconciliation pass): a txid's outputs never
    change, only its confirmation status, and one pass sees one status.
    """

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(base_url, **kwargs)
        self._txs: dict[str, EsploraTx | None] = {}

    async def _get_once(self, path: str) -> bytes:
        try:
            return await super()._get_once(path)
        except ChainDataError as exc:
            if exc.detail == f"{path}: HTTP 404":
                raise EsploraNotFound(exc.detail) from exc
            raise

    async def tip_height(self) -> int:
        """Height of the best block (Esplora's `/blocks/tip/height`)."""
        text = await self._get_text("/blocks/tip/height")
        if not text.isascii() or not text.isdigit() or len(text) > 10:
            raise ChainDataError("/blocks/tip/height: expected a decimal block height")
        return int(text)

    async def find_tx(self, txid: str) -> EsploraTx | None:
        """The transaction `txid` (cached), or None when the server does not know it."""
        if txid not in self._txs:
            try:
                self._txs[txid] = await self.transaction(txid)
            except EsploraNotFound:
                self._txs[txid] = None
        return self._txs[txid]

    async def payments_to(self, address: str, *, max_txs: int = MAX_PAYMENT_HISTORY) -> list[Payment]:
        """Confirmed outputs paying `address`, oldest first (by height, then txid and vout).

        `address` must already be a checked address of the right network (it goes into a URL path).
        More than `max_txs` transactions in its history: ChainDataError (the caller reports it).
        """
        found = []
        for tx in await self.address_txs(address, max_txs=max_txs):
            if not tx.status.confirmed:
                continue
            self._txs.setdefault(tx.txid, tx)
            for vout, out in enumerate(tx.outputs):
                if out.address == address:
                    found.append(Payment(tx.txid, vout, out.value_sat, tx.status.height or 0, tx.inputs))
        found.sort(key=lambda p: (p.height, p.txid, p.vout))
        return found

    async def spent_addresses(
        self, inputs: tuple[tuple[str, int], ...], *, limit: int = MAX_INPUTS_CHECKED
    ) -> list[str]:
        """Addresses of the outputs the first `limit` `inputs` spend (those Esplora names an address for).

        An input whose previous transaction is unknown or too short is a lying server: ChainDataError.
        """
        addresses = []
        for txid, vout in inputs[: min(limit, MAX_TX_IO)]:
            prev = await self.find_tx(txid)
            if prev is None or vout >= len(prev.outputs):
                raise ChainDataError(f"/tx/{txid}: the output {vout} a transaction spends is unknown")
            address = prev.outputs[vout].address
            if address is not None:
                addresses.append(address)
        return addresses
