"""Verification throughput of a chain of attestations against the reference of bare BIP-340 verifications."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

from chains.base import BlockRef, ReserveReading, SupplyReading, Utxo
from reserves.attestation import (
    Entries,
    Header,
    Inputs,
    Policy,
    ReserveResult,
    ReserveSetRef,
    SupplyResult,
    build,
    envelope,
    sign,
)
from reserves.attestation.canonical import digest
from reserves.attestation.formats import F3
from reserves.attestation.keys import SigningKey, verify_bip340
from reserves.attestation.verify import verify_chain

LENGTH = 200
UTXOS = 50


def _chain(key: SigningKey) -> list[dict]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    utxos = tuple(Utxo(f"{i:064x}", 0, 100_000 + i, "bcrt1qexample", 100, 11, wallet="cold") for i in range(UTXOS))
    out, prev = [], None
    for seq in range(LENGTH):
        when = now + timedelta(seconds=seq)
        res = ReserveReading(
            "cold",
            BlockRef("bip122:0f9188f13cb7b2c71f2a335e3a4fc328", 110, "ab" * 32, when),
            6,
            utxos,
            sum(u.value_sat for u in utxos),
            UTXOS,
        )
        sup = SupplyReading("eth", "0x" + "11" * 20, BlockRef("eip155:1", 5, "0x" + "cd" * 32, when), 4_000_000, 8)
        entries = Entries.read(
            [ReserveResult("cold", "bitcoin-esplora", 600, res)],
            [SupplyResult("eth", "evm-erc20", "eip155:1", "0x" + "11" * 20, 600, sup)],
        )
        built = build(
            Inputs(
                header=Header(seq, prev, when, "bench", None, "RBTC"),
                policy=Policy(warning_below_bp=10200),
                entries=entries,
                reserve_set=ReserveSetRef(1, "ef" * 32),
            ),
            F3,
        )
        out.append(envelope(sign(built.body, [key]), built.id))
        prev = built.id
    return out


def main() -> None:
    key = SigningKey(os.urandom(32))
    chain = _chain(key)
    sigs = [
        (
            bytes.fromhex(e["attestation"]["signatures"][0]["pubkey"]),
            digest(e["attestation"]),
            bytes.fromhex(e["attestation"]["signatures"][0]["sig"]),
        )
        for e in chain
    ]
    t = time.perf_counter()
    for pub, msg, sig in sigs:
        verify_bip340(pub, msg, sig)
    ref = time.perf_counter() - t
    t = time.perf_counter()
    report = verify_chain(chain, {key.pubkey_hex: key.key_id})
    full = time.perf_counter() - t
    if not report.ok:
        raise SystemExit("benchmark chain did not verify")
    print(f"verify_chain of {LENGTH} attestations ({UTXOS} UTXOs each): {LENGTH / full:.0f} attestations/s")
    print(f"reference: bare BIP-340 verification of the same signatures: {LENGTH / ref:.0f} signatures/s")
    print(f"ratio: full verification costs {full / ref:.1f}x the signature checks alone")


if __name__ == "__main__":
    main()
