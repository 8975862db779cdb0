"""Monitor API and dashboard partial on the real devnet: the job replays its EVM chains; bad parameters get 400s."""

from __future__ import annotations

import pytest

from reserves.jobs.monitor import evm_deployments, monitor_job
from reserves.monitor.state import blocking_issues
from tests.stack import parts, scheduled
from tests.support import serve_now
from tests.world import world


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with world(tmp_path_factory.mktemp("monitor")) as w:
        w.tick(3)
        w.monitor()
        yield w.client


def test_overview_shows_every_evm_deployment_caught_up_and_matching(client):
    rt = client.world
    body = client.get("/api/v1/monitor").json()
    names = [s.name for s in rt.settings.deployments if s.kind == "evm-erc20"]
    assert [d["deployment"] for d in body["deployments"]] == names and names
    for d in body["deployments"]:
        assert d["started"] and d["match"] is True and d["lag"] == 0 and d["status"] == "ok"
        assert d["running_supply"] == d["checked_supply"] and isinstance(d["running_supply"], str)
        assert d["chain_id"].startswith("eip155:") and d["next_block"] == d["target"] + 1
    assert body["open_issues"] == 0
    assert client.blocking_portal.call(blocking_issues, rt.db) == {}


def test_partial_renders_the_same_view(client):
    r = client.get("/monitor")
    assert r.status_code == 200
    body = client.get("/api/v1/monitor").json()
    for d in body["deployments"]:
        assert f'data-deployment="{d["deployment"]}"' in r.text and d["running_supply"] in r.text
    assert "match" in r.text


def test_issues_listing_pages(client):
    body = client.get("/api/v1/monitor/issues", params={"limit": "500", "offset": "0", "status": "all"}).json()
    assert body["limit"] == 500 and body["offset"] == 0 and body["total"] == len(body["issues"])


@pytest.mark.parametrize(
    "params, code",
    [
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "501"}, "invalid_limit"),
        ({"limit": "-1"}, "invalid_limit"),
        ({"limit": "1e3"}, "invalid_limit"),
        ({"limit": "99999999999"}, "invalid_limit"),
        ({"limit": "9" * 13}, "invalid_input"),
        ({"offset": "x"}, "invalid_offset"),
        ({"offset": "-5"}, "invalid_offset"),
        ({"kind": "bogus"}, "invalid_kind"),
        ({"status": "closed"}, "invalid_status"),
        ({"deployment": "nope"}, "unknown_deployment"),
        ({"deployment": "x" * 65}, "invalid_input"),
        ({"kind": "<script>"}, "invalid_kind"),
    ],
)
def test_bad_parameters_are_400_with_a_code(client, params, code):
    r = client.get("/api/v1/monitor/issues", params=params)
    assert r.status_code == 400 and r.json()["error"]["code"] == code


def test_a_deployment_filter_works(client):
    rt = client.world
    name = next(s.name for s in rt.settings.deployments if s.kind == "evm-erc20")
    r = client.get("/api/v1/monitor/issues", params={"deployment": name, "kind": "reorg"})
    assert r.status_code == 200 and all(i["deployment"] == name for i in r.json()["issues"])


def test_the_worker_schedules_the_monitor_over_its_evm_deployments_and_only_a_leader_runs_it(client):
    w = client.world
    run, job = scheduled(w.worker, "supply-monitor")
    assert job.func is monitor_job and job.args == (w.db, evm_deployments(w.settings.deployments))
    assert [c.name for c in job.args[1]] == [s.name for s in w.settings.deployments if s.kind == "evm-erc20"]
    before = {d["deployment"]: d["next_block"] for d in client.get("/api/v1/monitor").json()["deployments"]}
    w.tick(2)
    follower, _ = scheduled(parts(w.settings, w.db, leading=False), "supply-monitor")
    client.blocking_portal.call(follower)
    serve_now(client)  # the web app's one-second cache
    after_follower = {d["deployment"]: d["next_block"] for d in client.get("/api/v1/monitor").json()["deployments"]}
    assert after_follower == before  # nothing replayed
    client.blocking_portal.call(run)
    serve_now(client)
    caught_up = client.get("/api/v1/monitor").json()["deployments"]
    assert all(d["next_block"] > before[d["deployment"]] and d["lag"] == 0 and d["match"] is True for d in caught_up), (
        caught_up
    )
