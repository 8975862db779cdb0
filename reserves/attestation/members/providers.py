"""The `providers` member: each liquidity provider's obligation and collateral readings, the price used,
the ratio, the state (with the state before it) and the penalty owed on a default: built, checked.

A provider's state is `unknown` when a reading failed, is too old, or its collateral needs a price
that is missing or not fresh: never `healthy` from data that could not be read. Otherwise the state
follows collateral.level (hysteresis on recovery only). `check` re-derives every figure and state
from the document alone, given the `previous_state` it carries; `chain_check` holds each
`previous_state` against the attestation before. The member is format 5's `providers` (null when
no provider is declared); its JSON Schema is `$defs.providers_member` of attestation.schema.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chains.base import BlockRef
from reserves.attestation import arithmetic as ar
from reserves.attestation import collateral as co
from reserves.attestation import schema
from reserves.attestation.fields import amount, block_json, count, error_json, name
from reserves.errors import InvalidInput

MEMBER = "providers"
LEG_KINDS = ("bitcoin", "evm-erc20", "evm-native")
MAX_PROVIDERS = 100
PRICE_COUNTS = ("max_age_seconds", "sources", "kept", "min_sources")  # what makes a price's `fresh` checkable
AMOUNT_LIMIT = 10**78  # every figure is a decimal string of at most 78 digits (the schema, fields.amount)


@dataclass(frozen=True)
class LegResult:
    """One reading of a provider (its obligation or its collateral), as the snapshot made it.

    `amount` is raw units (satoshis for `bitcoin`) at `block`, or None with `error_code` set.
    `token` is the ERC-20 address of an `evm-erc20` leg, None otherwise.
    """

    kind: str
    chain_id: str
    asset: str
    decimals: int
    addresses: tuple[str, ...]
    max_age_seconds: int
    token: str | None = None
    block: BlockRef | None = None
    amount: int | None = None
    error_code: str | None = None
    error_detail: str | None = None


@dataclass(frozen=True)
class ProviderResult:
    name: str
    obligation: LegResult
    collateral: LegResult


@dataclass(frozen=True)
class ProvidersInput:
    """What the member is made of: the readings, the thresholds, the snapshot's price (None: no oracle
    answered) and each provider's state in the attestation before (absent: none)."""

    results: tuple[ProviderResult, ...]
    thresholds: co.Thresholds
    price: co.Price | None = None
    previous: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Derived:
    """What the rule gives for one entry: the values in satoshis (None when not valued), the ratio
    (None when unknown or without an obligation), the state, its reasons and the penalty."""

    obligation_sat: int | None
    collateral_sat: int | None
    ratio_bp: int | None
    state: str
    reasons: list[str]
    penalty_sat: int | None


# ---- building ----


def leg_json(leg: LegResult) -> dict:
    """One leg as the member lists it; raises InvalidInput for a declaration that breaks a rule."""
    if leg.kind not in LEG_KINDS or leg.asset not in co.ASSETS:
        raise InvalidInput(f"leg kind must be one of {', '.join(LEG_KINDS)} and asset one of {', '.join(co.ASSETS)}")
    out: dict[str, Any] = {
        "kind": leg.kind,
        "chain_id": leg.chain_id,
        "asset": leg.asset,
        "token": leg.token,
        "decimals": leg.decimals,
        "addresses": list(leg.addresses),
        "max_age_seconds": leg.max_age_seconds,
    }
    if leg.block is None or leg.amount is None:
        return out | {"error": error_json(leg.error_code, leg.error_detail)}
    if leg.amount >= AMOUNT_LIMIT:
        # A balance the member cannot publish (a hostile token's 2**256 balances): a reading to
        # distrust, so the provider is unknown; never a refused snapshot for every other figure.
        return out | {"error": error_json("invalid_reading", f"amount beyond 78 digits ({len(str(leg.amount))})")}
    block = block_json(leg.block)
    if block["chain_id"] != leg.chain_id:
        raise InvalidInput(f"leg read on {block['chain_id']}, declared on {leg.chain_id}")
    del block["chain_id"]
    return out | block | {"amount": amount(leg.amount, "leg amount")}


def price_json(price: co.Price | None) -> dict | None:
    if price is None:
        return None
    return {
        "pair": price.pair,
        "price_e8": amount(price.price_e8, "price_e8"),
        "time": ar.format_timestamp(price.time),
        "fresh": bool(price.fresh),
        "source": name(price.source, "price source"),
        "max_age_seconds": count(price.max_age_seconds, "price max_age_seconds"),
        "sources": count(price.sources, "price sources"),
        "kept": count(price.kept, "price kept"),
        "min_sources": count(price.min_sources, "price min_sources"),
    }


def thresholds_json(t: co.Thresholds) -> dict:
    return {
        "warning_below_bp": str(t.warning_below_bp),
        "liquidatable_below_bp": str(t.liquidatable_below_bp),
        "hysteresis_bp": str(t.hysteresis_bp),
        "penalty_bp": str(t.penalty_bp),
    }


def member(given: ProvidersInput, issued: datetime) -> dict:
    """The member of `given` at `issued`; entries sorted by name (unique)."""
    if len(given.results) > MAX_PROVIDERS:
        raise InvalidInput(f"at most {MAX_PROVIDERS} providers")
    price = price_json(given.price)
    entries = []
    for r in sorted(given.results, key=lambda r: r.name):
        entry: dict[str, Any] = {
            "name": name(r.name, "provider name"),
            "obligation": leg_json(r.obligation),
            "collateral": leg_json(r.collateral),
            "previous_state": given.previous.get(r.name),
        }
        entries.append(entry | _derived_json(derive(entry, issued, given.thresholds, price)))
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        raise InvalidInput("provider names must be unique")
    return {"thresholds": thresholds_json(given.thresholds), "price": price, "entries": entries}


def build(inputs: Any, body: dict) -> None:
    """The `providers` member of `inputs.providers` (a ProvidersInput) at the body's issued_at; null
    when it is None (no provider declared)."""
    given = getattr(inputs, "providers", None)
    body[MEMBER] = None if given is None else member(given, ar.parse_timestamp(body["issued_at"]))


def _derived_json(d: Derived) -> dict:
    def text(value: int | None) -> str | None:
        return None if value is None else str(value)

    return {
        "obligation_sat": text(d.obligation_sat),
        "collateral_sat": text(d.collateral_sat),
        "ratio_bp": text(d.ratio_bp),
        "state": d.state,
        "reasons": d.reasons,
        "penalty_sat": text(d.penalty_sat),
    }


# ---- the rule, shared by building and checking ----


def derive(entry: dict, issued: datetime, t: co.Thresholds, price: dict | None) -> Derived:
    """Values, ratio, state and penalty of one entry (legs and previous_state as listed) at `issued`."""
    ob, col = entry["obligation"], entry["collateral"]
    if ob["asset"] != "BTC":
        raise InvalidInput(f"provider {entry['name']}: an obligation is BTC, not {ob['asset']}")
    reasons = _leg_reasons("obligation", ob, issued) + _leg_reasons("collateral", col, issued)
    ob_sat = None if "error" in ob else co.obligation_sat(int(ob["amount"]), ob["decimals"])
    price_e8, price_reason = _price_for(col["asset"], price, issued)
    if price_reason:
        reasons.append(price_reason)
    col_sat = None
    if "error" not in col and (col["asset"] == "BTC" or price_e8 is not None):
        col_sat = co.collateral_sat(int(col["amount"]), col["decimals"], col["asset"], price_e8)
    ob_sat, col_sat = (_in_range(label, v, reasons) for label, v in (("obligation", ob_sat), ("collateral", col_sat)))
    if reasons or ob_sat is None or col_sat is None:
        return Derived(ob_sat, col_sat, None, co.UNKNOWN, reasons, None)
    ratio = _in_range("ratio", co.ratio_bp(col_sat, ob_sat), reasons)
    if reasons:
        return Derived(ob_sat, col_sat, None, co.UNKNOWN, reasons, None)
    state, why = co.level(ratio, t, entry["previous_state"])
    penalty = co.penalty_sat(ob_sat, t.penalty_bp) if state == "liquidatable" else None
    return Derived(ob_sat, col_sat, ratio, state, why, penalty)


def _in_range(label: str, value: int | None, reasons: list[str]) -> int | None:
    """`value` when the member can publish it (under 10**78, the schema's 78 digits), else None and a
    reason: a 2**256 balance of a 0-decimals token is a reading to distrust, never a dead snapshot."""
    if value is None or value < AMOUNT_LIMIT:
        return value
    reasons.append(f"{label} beyond 78 digits ({len(str(value))}): not a credible reading")
    return None


def _leg_reasons(label: str, leg: dict, issued: datetime) -> list[str]:
    if "error" in leg:
        return [f"{label} not read ({leg['error']['code']})"]
    at = ar.parse_timestamp(leg["block_time"])
    if ar.older_than(at, issued, leg["max_age_seconds"]):
        return [f"{label} block_time {leg['block_time']} is older than max_age_seconds {leg['max_age_seconds']}"]
    if ar.in_future(at, issued):
        return [f"{label} block_time {leg['block_time']} is in the future"]
    return []


def _price_for(asset: str, price: dict | None, issued: datetime) -> tuple[int | None, str | None]:
    """(price_e8, None) when `asset` needs a price and a usable one is there; (None, why) when it is not.

    Usable: the BTC-USD pair, called fresh, and fresh by what the member shows: dated at or before
    `issued` and at most `max_age_seconds` before it, and kept by at least `min_sources` of its round's
    `sources`. A price called fresh that is not gives a reason, so the state it decided is caught.
    """
    if asset == "BTC":
        return None, None
    if price is None:
        return None, "collateral in USD and no price"
    if price["pair"] != co.PAIR:
        return None, f"collateral in USD and the price is {price['pair']}, not {co.PAIR}"
    if not price["fresh"]:
        return None, f"collateral in USD and the price of {price['time']} is not fresh"
    for key in PRICE_COUNTS:
        value = price[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"price {key} must be an integer")
    at = ar.parse_timestamp(price["time"])
    if at > issued:
        return None, f"collateral in USD and the price of {price['time']} is dated after issued_at"
    if ar.older_than(at, issued, price["max_age_seconds"]):
        return None, f"collateral in USD and the price of {price['time']} is older than {price['max_age_seconds']} s"
    if not price["min_sources"] <= price["kept"] <= price["sources"]:
        return None, (
            f"collateral in USD and the price kept {price['kept']} of {price['sources']} sources "
            f"(at least {price['min_sources']} required)"
        )
    return int(price["price_e8"]), None


# ---- checking ----


def read_thresholds(member_json: dict) -> co.Thresholds:
    t = member_json["thresholds"]
    return co.Thresholds(
        warning_below_bp=int(t["warning_below_bp"]),
        liquidatable_below_bp=int(t["liquidatable_below_bp"]),
        hysteresis_bp=int(t["hysteresis_bp"]),
        penalty_bp=int(t["penalty_bp"]),
    )


def check(doc: dict) -> list[str]:
    """Every entry's values, ratio, state, reasons and penalty, re-derived; [] when the member is null."""
    m = doc.get(MEMBER)
    if m is None:
        return []
    try:
        t = read_thresholds(m)
        issued = ar.parse_timestamp(doc["issued_at"])
        names = [e["name"] for e in m["entries"]]
        problems = [] if names == sorted(set(names)) else ["providers.entries: names not sorted and unique"]
        for e in m["entries"]:
            problems += _entry_problems(e, issued, t, m["price"])
    except (InvalidInput, KeyError, TypeError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, InvalidInput) else f"{type(exc).__name__}: {exc}"
        return [f"providers: cannot be re-derived ({detail})"[:600]]
    return problems


def _entry_problems(e: dict, issued: datetime, t: co.Thresholds, price: dict | None) -> list[str]:
    want = _derived_json(derive(e, issued, t, price))
    return [
        f"provider {e['name']}: {key} {e.get(key)!r} but the rule gives {value!r}"
        for key, value in want.items()
        if e.get(key) != value
    ]


def states(doc: dict | None) -> dict[str, str]:
    """name -> state of a document's providers ({} without a document or with the member null or absent)."""
    if doc is None:
        return {}
    m = doc.get(MEMBER)
    return {} if m is None else {e["name"]: e["state"] for e in m["entries"]}


def chain_check(run: list[dict], b: dict, allow_pending: bool) -> tuple[list[str], list[str]]:
    """Each provider's previous_state is its state in the attestation before (`run[0]`), null when new."""
    if not run or b.get(MEMBER) is None:
        return [], []
    before, problems = states(run[0]), []
    for e in b[MEMBER]["entries"]:
        if e["previous_state"] != before.get(e["name"]):
            problems.append(
                f"sequence {b['sequence']}: provider {e['name']} previous_state {e['previous_state']} but "
                f"sequence {run[0]['sequence']} has {before.get(e['name'])}"
            )
    return problems, []


def load_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the member alone: attestation.schema.json's `providers_member`
    with the definitions it refers to."""
    whole = schema.load("attestation.schema.json")
    return {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": "#/$defs/providers_member"}
