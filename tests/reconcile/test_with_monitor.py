"""The reconciliation job fed by the real supply monitor on the devnet (no rows written by hand)."""

from __future__ import annotations

from litestar.testing import TestClient

from portal.app import create_app
from reserves.jobs.monitor import monitor_job
from reserves.jobs.reconcile import reconcile_job
from reserves.settings.load import default_settings


def test_monitor_then_reconcile_on_the_devnet(tmp_path):
    with TestClient(create_app(default_settings(tmp_path), run_scheduler=False)) as client:
        rt = client.app.state.runtime
        for _ in range(8):
            rt.devnet.tick()
        for _ in range(3):  # the monitor replays in bounded steps
            client.blocking_portal.call(monitor_job, rt)
        client.blocking_portal.call(reconcile_job, rt)
        view = client.get("/api/v1/reconciliation", params={"limit": "500"}).json()
        reasons = {i["reason"] for i in view["items"] if i["status"] == "unreconciled"}
        assert reasons == {"deposit_not_found", "not_reserve_address", "amount_mismatch", "deposit_reused",
                           "output_not_found"}
        assert view["summary"]["mints"]["reconciled"] >= 15
        cases = rt.devnet.broken_cases
        by_tx = {i["tx_hash"]: i for i in view["items"]}
        assert by_tx[cases["well_formed"]]["status"] == "reconciled"
        assert by_tx[cases["unreleased"]]["status"] == "awaiting_release"
