"""A real web role for the bounds tests: `create_app` under uvicorn on a free port, over a database
the test fills itself (bulk inserts, as many rows as an attacker or years of snapshots would leave)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import create_engine, insert

from portal.app import create_app
from reserves.settings.load import default_settings
from reserves.settings.model import Settings
from reserves.storage.db import sync_url
from reserves.storage.engine_models import GuardianSignatureRow
from reserves.storage.models import AttestationRow
from tests.support import serving

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def bare_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    """The embedded default without the devnet (no chain at all), on `database_url` when given."""
    s = default_settings(data_dir)
    s = replace(s, devnet=replace(s.devnet, enabled=False))
    if database_url is not None:
        s = replace(s, database=replace(s.database, url=database_url))
    return s


@dataclass
class Live:
    base: str
    app: Litestar
    url: str


@contextmanager
def live_server(settings: Settings) -> Iterator[Live]:
    app = create_app(settings)
    with serving(app, "bounds-test-server") as port:
        yield Live(f"http://127.0.0.1:{port}", app, settings.database.url)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    with live_server(bare_settings(tmp_path_factory.mktemp("bounds"))) as server:
        yield server


def document(sequence: int, pad: int, *, extra: dict[str, Any] | None = None) -> str:
    """A stored document as the engine writes it (compact, UTF-8 as is, `signatures` last), `pad` bytes of filler."""
    body = {"format": 4, "sequence": sequence, "note": "réserve ✓", "pad": "u" * pad, **(extra or {})}
    doc = {**body, "signatures": [{"alg": "bip340", "key_id": "engine", "pubkey": "aa" * 32, "sig": "bb" * 64}]}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def insert_attestations(url: str, docs: list[str], *, finality: str = "final", start: int = 0) -> list[str]:
    """Bulk-insert attestation rows holding `docs` (sequences from `start`); their ids."""
    rows = []
    for i, doc in enumerate(docs):
        rows.append(
            dict(
                id=hashlib.sha256(doc.encode()).hexdigest(),
                sequence=start + i,
                previous=None,
                issued_at=T0 + timedelta(minutes=start + i),
                status="healthy",
                ratio_bp=10000,
                reserves_sat=1,
                liabilities_sat=1,
                document=doc,
                finality=finality,
            )
        )
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(insert(AttestationRow), rows)
    finally:
        engine.dispose()
    return [r["id"] for r in rows]


def insert_guardian_signatures(url: str, attestation_id: str, n: int) -> None:
    if not n:
        return
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(GuardianSignatureRow),
                [
                    dict(
                        attestation_id=attestation_id,
                        pubkey=f"{i:064x}",
                        key_id=f"guardian-{i} ✓",
                        sig="cd" * 64,
                        submitted_at=T0 + timedelta(seconds=i),
                    )
                    for i in range(n)
                ],
            )
    finally:
        engine.dispose()
