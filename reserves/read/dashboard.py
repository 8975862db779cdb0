"""The dashboard's read: the newest attestation's figures, its finality, recent attestations, reserve-set
versions and the last day's ratio buckets, in one session (reserves.read.hot rebuilds it when the
newest attestation or its guardian signatures change)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, TypedDict

from reserves.attestation.members.guardians import guardian_set
from reserves.read import history_chart, views
from reserves.read import reserves as rviews
from reserves.read import supply as supply_views
from reserves.read.display import btc, iso, percent
from reserves.read.workers import announced_keys, live_workers
from reserves.settings.model import Settings
from reserves.storage import documents
from reserves.storage import repository as repo

DASHBOARD_VERSIONS = 10
SPARK_WINDOW = timedelta(hours=24)
SPARK_POINTS = 96


async def wallets_of(session, row) -> rviews.WalletsView:
    """Per-wallet totals of attestation `row`, labelled from the reserve set it used."""
    body = documents.document(row)
    version = row.reserve_set_version
    declared = None if version is None else await repo.get_reserve_set(session, version)
    return rviews.wallets_view(row.id, body, rviews.declaration_of(declared))


async def read_overview(
    session,
    settings: Settings,
    stale_after_seconds: int,
    *,
    now: datetime,
    recent: int,
    reuse: views.DashboardView | None,
) -> views.Overview:
    """The dashboard's figures as the newest attestation signed them (no staleness applied) and the
    overview's compact ratio chart, in one session; with `reuse`, a view of the same newest
    attestation, what comes from its document is taken from there instead of read again."""
    s = settings
    signer_pubkeys = [p for p, _ in announced_keys(await live_workers(session, now))]
    rows = await repo.list_attestations(session, before_sequence=None, limit=recent, documents=False)
    # The last 24 hours in 96 buckets of 15 minutes (or shorter when the chain is young).
    chain_age = now - await _first_time(session) if rows else SPARK_WINDOW
    span = min(SPARK_WINDOW, max(timedelta(minutes=1), chain_age))
    bucket = max(1, int(span.total_seconds() // SPARK_POINTS))
    buckets = (
        await repo.ratio_history(session, start=now - span, end=now + timedelta(seconds=1), bucket_seconds=bucket)
        if rows
        else []
    )
    versions = await repo.list_reserve_sets(session, before_version=None, limit=DASHBOARD_VERSIONS)
    same = reuse is not None and reuse.has_data and bool(rows) and reuse.attestation_id == rows[0].id
    latest = None if same or not rows else rows[0]
    if latest is not None:
        await session.refresh(latest, ["document"])  # the one document the dashboard reads
    wallets = (await wallets_of(session, latest)).wallets if latest is not None else []
    signed = len((await repo.guardian_signatures(session, [rows[0].id])).get(rows[0].id, [])) if rows else 0
    base: _DashboardCommon = {
        "devnet": s.devnet.enabled,
        "token_symbol": s.portal.token_symbol,
        "issuer_name": s.portal.issuer_name,
        "stale_after_seconds": stale_after_seconds,
        "signer_pubkeys": signer_pubkeys,
        "reserve_set_history": [rviews.version_view(v) for v in versions],
        "sparkline": views.sparkline(buckets, start=now - span, span=span),
    }
    chart = history_chart.overview_chart(
        buckets, now=now, span=span, bucket_seconds=bucket, interval_seconds=s.schedule.snapshot_interval_seconds
    )
    if not rows:
        return views.Overview(views.DashboardView(has_data=False, **base), chart)
    if same:
        assert reuse is not None
        finality = _finality(rows[0], reuse.finality, signed)
        same_view = dataclasses.replace(reuse, recent=[views.row_summary(r) for r in rows], finality=finality, **base)
        return views.Overview(same_view, chart)
    assert latest is not None
    body = documents.document(latest)
    declared = guardian_set(body) if "signers" in body else None
    declared_view = None if declared is None else views.Finality("", declared.threshold, len(declared.keys), 0, None)
    sources = [views.reserve_source_view(x) for x in body["reserves"]["sources"]]
    deployments = views.deployment_views(body["supply"]["deployments"])
    view = views.DashboardView(
        has_data=True,
        status=body["status"],
        published_status=body["status"],
        status_reasons=list(body["status_reasons"]),
        ratio_bp=body["ratio_bp"],
        ratio_percent=percent(body["ratio_bp"]),
        reserves_sat=body["reserves"]["total_sat"],
        reserves_btc=btc(body["reserves"]["total_sat"]),
        **_spendable_locked(body),
        utxo_count=body["reserves"]["utxo_count"],
        valid_at=body["reserves"].get("valid_at"),
        reserve_set=body["reserves"].get("reserve_set"),
        wallets=wallets,
        liabilities_sat=body["supply"]["total_sat"],
        liabilities_btc=btc(body["supply"]["total_sat"]),
        supply_rule=supply_views.supply_rule(body),
        partial=any(x.error for x in sources) or any(x.error for x in deployments),
        attestation_id=latest.id,
        sequence=latest.sequence,
        issued_at=body["issued_at"],
        age_seconds=views.age_seconds(repo.utc(latest.issued_at), now),
        reserve_sources=sources,
        deployments=deployments,
        window=body.get("window"),
        flows=body.get("flows"),
        recent=[views.row_summary(r) for r in rows],
        finality=_finality(latest, declared_view, signed),
        **base,
    )
    return views.Overview(view, chart)


class _DashboardCommon(TypedDict):
    """The DashboardView fields shown with or without an attestation."""

    devnet: bool
    token_symbol: str
    issuer_name: str
    stale_after_seconds: int
    signer_pubkeys: list[str]
    reserve_set_history: list[Any]  # reserve_views.ReserveSetVersionView
    sparkline: views.Sparkline | None


def _finality(row, declared: views.Finality | None, signed: int) -> views.Finality:
    """`row`'s finality now; `declared` carries its guardian set's threshold and size (None: no set)."""
    final_at = None if row.final_at is None else iso(repo.utc(row.final_at))
    if declared is None or declared.threshold is None:
        return views.Finality(row.finality, None, 0, signed, final_at)
    return views.Finality(row.finality, declared.threshold, declared.guardians, signed, final_at)


def _spendable_locked(body: dict) -> dict[str, Any]:
    res = body["reserves"]
    # Format 1 attestations knew no locks: everything they counted was spendable.
    spendable, locked = res.get("spendable_sat", res["total_sat"]), res.get("locked_sat", "0")
    return {
        "spendable_sat": spendable,
        "spendable_btc": btc(spendable),
        "locked_sat": locked,
        "locked_btc": btc(locked),
        "count_locked": body["policy"].get("count_locked", True),
    }


async def _first_time(session) -> datetime:
    first = await repo.first_attestation_time(session)
    return first if first is not None else datetime.now(timezone.utc)
