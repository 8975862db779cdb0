"""Builders for attestation tests: deterministic keys, readings and bodies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chains.base import BlockRef, ReserveReading, SupplyReading, Utxo
from reserves.attestation import (
    Entries,
    Header,
    Inputs,
    Policy,
    ReserveResult,
    ReserveSetRef,
    SigningKey,
    SupplyResult,
    attestation_id,
    build,
    formats,
)
from reserves.attestation.formats import F3
from reserves.attestation.members import signers, window
from reserves.attestation.members.scope import ControlCounts

BTC_CHAIN = "bip122:000000000019d6689c085ae165831e93"
ISSUED = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173 example P2WPKH
RESERVE_SET = ReserveSetRef(1, "5e" * 32)


def key(n: int, key_id: str | None = None) -> SigningKey:
    return SigningKey(n.to_bytes(32, "big"), key_id=key_id)


def reserve_result(name="cold", values=(150_000_000, 60_000_000), age=600, max_age=7200, seed=1):
    utxos = tuple(
        Utxo(
            txid=f"{seed:02x}{i:02x}".ljust(64, "a"),
            vout=i,
            value_sat=v,
            address=ADDRESS,
            height=800_000 - i,
            confirmations=10 + i,
        )
        for i, v in enumerate(values)
    )
    block = BlockRef(BTC_CHAIN, 800_010, "00" * 4 + "ab" * 28, ISSUED - timedelta(seconds=age))
    reading = ReserveReading(name, block, 6, utxos, sum(values), 3)
    return ReserveResult(name, "bitcoin-esplora", max_age, reading)


def supply_result(name="ethereum", total=100_000_000_000_000_000, decimals=18, chain="eip155:1", age=60, max_age=3600):
    contract = "0x" + "12" * 20
    block = BlockRef(chain, 19_000_000, "0x" + "cd" * 32, ISSUED - timedelta(seconds=age))
    reading = SupplyReading(name, contract, block, total, decimals)
    return SupplyResult(name, "evm", chain, contract, max_age, reading)


def entries(reserves=None, supplies=None) -> Entries:
    """The entries of the given readings (default: two reserve sources and two deployments)."""
    return Entries.read(
        reserves if reserves is not None else [reserve_result(), reserve_result("hot", (5_000,), seed=2)],
        supplies
        if supplies is not None
        else [supply_result(), supply_result("polygon", 50_000_000_000_000_001, chain="eip155:137")],
    )


def header(sequence=0, previous=None, issued=ISSUED) -> Header:
    return Header(sequence, previous, issued, "Example Custody", "https://example.org", "xBTC")


def make_body(
    sequence=0,
    previous=None,
    *,
    reserves=None,
    supplies=None,
    issued=ISSUED,
    warning=10_500,
    count_locked=True,
    reserve_set=RESERVE_SET,
):
    """A format 3 body (the last format without signers in the body: signed with `sign(body, keys)`)."""
    return build(
        Inputs(
            header=header(sequence, previous, issued),
            policy=Policy(warning, count_locked),
            entries=entries(reserves, supplies),
            reserve_set=reserve_set,
        ),
        F3,
    ).body


def make_doc_v4(
    sequence=0,
    previous=None,
    *,
    engine=None,
    guardians=None,
    rotation_from=None,
    earlier=None,
    control=None,
    warning=10_500,
    hysteresis=50,
    window_blocks=144,
    reserves=None,
    supplies=None,
    issued=None,
    statements=(),
    tiers=None,
    providers=None,
    fmt=None,
):
    """A signed format 4 document (format `fmt`, with `tiers` and `providers`: format 5); `previous` is the
    document before (its body is read for the status basis and flows), `earlier` the window facts before it
    (default: from `previous`)."""
    engine = engine or key(7, "engine")
    previous_body = None if previous is None else {k: v for k, v in previous.items() if k != "signatures"}
    prev_id = None if previous_body is None else attestation_id(previous_body)
    issued = issued or (ISSUED + timedelta(minutes=sequence))
    made = entries(reserves, supplies)
    policy = Policy(warning, True, hysteresis_bp=hysteresis, window_blocks=window_blocks)
    if earlier is None:
        earlier = [] if previous_body is None else [window.earlier_of(d) for d in reversed(CHAIN.get(prev_id, []))]
    built = build(
        Inputs(
            header=header(sequence, prev_id, issued),
            policy=policy,
            entries=made,
            reserve_set=RESERVE_SET,
            previous=previous_body,
            earlier=earlier,
            control=control or ControlCounts(len(made.coin_addresses), 0, 86400, None),
            engine=engine,
            guardians=guardians,
            rotation_from=rotation_from,
            statements=statements,
            tiers=tiers,
            providers=providers,
        ),
        fmt or formats.F4,
    )
    doc = signers.sign(built.body, built.id, engine, rotation_from)
    # Remember the chain up to this document, so that the next one's window sees all of it.
    CHAIN[built.id] = CHAIN.get(prev_id, []) + [built.body]
    return doc


def make_doc_v5(sequence=0, previous=None, *, tiers=None, providers=None, **kw):
    """A signed format 5 document: format 4 plus `tiers` (a members.tiers.TierInputs, or None) and
    `providers` (a members.providers.ProvidersInput, or None)."""
    return make_doc_v4(sequence, previous, tiers=tiers, providers=providers, fmt=formats.F5, **kw)


CHAIN: dict[str | None, list[dict]] = {}


def chain_v4(n: int, **kw) -> list[dict]:
    """n consecutive format 4 documents from sequence 0 (same keyword arguments for each)."""
    docs: list[dict] = []
    for i in range(n):
        docs.append(make_doc_v4(i, docs[-1] if docs else None, **kw))
    return docs
