"""The reconciliation job fed by the real supply monitor on the devnet (no rows written by hand)."""

from __future__ import annotations

from tests.world import world


def test_monitor_then_reconcile_on_the_devnet(tmp_path):
    with world(tmp_path) as w:
        w.tick(8)
        for _ in range(3):  # the monitor replays in bounded steps
            w.monitor()
        w.reconcile()
        view = w.client.get("/api/v1/reconciliation", params={"limit": "500"}).json()
        reasons = {i["reason"] for i in view["items"] if i["status"] == "unreconciled"}
        assert reasons == {
            "deposit_not_found",
            "not_reserve_address",
            "amount_mismatch",
            "deposit_reused",
            "output_not_found",
        }
        assert view["summary"]["mints"]["reconciled"] >= 15
        cases = w.devnet.broken_cases
        by_tx = {i["tx_hash"]: i for i in view["items"]}
        assert by_tx[cases["well_formed"]]["status"] == "reconciled"
        assert by_tx[cases["unreleased"]]["status"] == "awaiting_release"
