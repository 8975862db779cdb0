"""Provider readers over test doubles (tests.doubles.adapters.ScriptedBalanceAdapter), for the rig's snapshots."""

from __future__ import annotations

from reserves.providers.sources import COLLATERAL, OBLIGATION, LegReader, ProviderReader
from reserves.settings.providers import LegSettings, ProviderSettings
from tests.doubles.adapters import ScriptedBalanceAdapter

CHAIN = "eip155:31338"


def leg(role: str, raw: int, decimals: int) -> LegReader:
    s = LegSettings(
        kind="evm-native",
        via="l2",
        chain_id=CHAIN,
        asset="BTC",
        decimals=decimals,
        addresses=("0x" + "ab" * 20,),
        max_age_seconds=600,
    )
    return LegReader(role, s, ScriptedBalanceAdapter(f"{role} reader", CHAIN, raw, decimals))


def provider(name: str, obligation: int, collateral: int, collateral_decimals: int) -> ProviderReader:
    """`name` owing `obligation` raw units of an 18-decimals BTC coin against `collateral` BTC units."""
    ob, col = leg(OBLIGATION, obligation, 18), leg(COLLATERAL, collateral, collateral_decimals)
    return ProviderReader(ProviderSettings(name, ob.settings, col.settings), ob, col)
