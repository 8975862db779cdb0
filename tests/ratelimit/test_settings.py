"""The `[ratelimit]` table: defaults, budgets, trusted proxies (never `*`), the Redis URL; errors name the key."""

from __future__ import annotations

import ipaddress

import pytest

from portal.ratelimit.limiter import build_limiter
from portal.ratelimit.routes import route_class
from reserves.errors import ConfigError
from reserves.settings.load import default_settings, load_settings
from reserves.settings.ratelimit import Budget, ChallengeBudget
from tests.test_settings import ENV, GOOD, write


def test_defaults_limit_every_route_class_and_trust_no_proxy(tmp_path):
    s = load_settings(write(tmp_path, GOOD), env=ENV).ratelimit
    assert s.enabled and s.redis_url is None and s.trusted_proxies == ()
    assert (s.api, s.pages, s.expensive, s.signatures) == (Budget(1200), Budget(300), Budget(60), Budget(30))
    assert s.challenges is None and s.challenges_all == ChallengeBudget(60, 60, 30)
    limiter = build_limiter(default_settings(tmp_path))
    assert limiter is not None and limiter.shared is None
    # The per-client challenge budget is [proofs] online_rate_per_minute unless [ratelimit] says otherwise.
    assert limiter.policies["challenges"].header == '"challenges";q=6;w=60'


def test_a_full_table_is_read(tmp_path):
    text = """
[ratelimit]
redis_url_env = "REDIS_URL"
key_prefix = "portal-a:"
trusted_proxies = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
api = { requests = 5000, window_seconds = 10 }
challenges = { requests = 3 }
challenges_all = { requests = 100, reserve = 40 }
[portal]
forwarded_allow_ips = "172.16.0.1, 172.17.0.0/16"
"""
    s = load_settings(write(tmp_path, text + GOOD), env={**ENV, "REDIS_URL": "redis://:pw@cache:6379/2"}).ratelimit
    assert s.redis_url == "redis://:pw@cache:6379/2" and "pw" not in repr(s)
    assert s.api == Budget(5000, 10) and s.challenges == Budget(3, 60)
    assert s.challenges_all == ChallengeBudget(100, 60, 40)
    assert [str(n) for n in s.trusted_proxies] == [
        "10.0.0.0/8",
        "2001:db8::/32",
        "192.0.2.7/32",
        "172.16.0.1/32",  # the older [portal] key adds to the list
        "172.17.0.0/16",
    ]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('trusted_proxies = ["*"]', "ratelimit.trusted_proxies"),
        ('trusted_proxies = ["10.0.0.300"]', "ratelimit.trusted_proxies"),
        ("trusted_proxies = [7]", "ratelimit.trusted_proxies"),
        ('redis_url = "http://cache:6379"', "ratelimit.redis_url"),
        ("api = { requests = 0 }", "ratelimit.api.requests"),
        ("pages = { window_seconds = 0 }", "ratelimit.pages.window_seconds"),
        ("expensive = { burst = 5 }", "ratelimit.expensive.burst"),
        ("challenges_all = { requests = 10, reserve = 10 }", "ratelimit.challenges_all.reserve"),
        ("redis_timeout_seconds = 30", "ratelimit.redis_timeout_seconds"),
        ("enabled = 1", "ratelimit.enabled"),
        ("burst = 3", "ratelimit.burst"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(tmp_path, text, key):
    with pytest.raises(ConfigError) as exc:
        load_settings(write(tmp_path, "[ratelimit]\n" + text + "\n" + GOOD), env=ENV)
    assert exc.value.detail.startswith(key), exc.value.detail


def test_the_older_forwarded_allow_ips_refuses_a_wildcard_too(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_settings(write(tmp_path, '[portal]\nforwarded_allow_ips = "10.0.0.1, *"\n' + GOOD), env=ENV)
    assert exc.value.detail.startswith("portal.forwarded_allow_ips") and "refused" in exc.value.detail


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/", "pages"),
        ("GET", "/partials/summary", "pages"),
        ("GET", "/api/v1/history", "expensive"),
        ("GET", "/api/v1/history/", "expensive"),
        ("HEAD", "/api/v1/attestations", "expensive"),
        ("GET", "/api/v1/attestations/pending", "expensive"),
        ("GET", "/api/v1/evidence/" + "ab" * 32 + "/1", "expensive"),
        ("GET", "/api/v1/attestations/latest", "api"),
        ("GET", "/api/v1/attestations/" + "ab" * 32 + "/signatures", "api"),
        ("POST", "/api/v1/attestations/" + "ab" * 32 + "/signatures", "signatures"),
        ("POST", "/api/v1/challenges", "api"),  # its own budget is spent once the nonce is valid
        ("GET", "/static/portal.css", "static"),
        ("POST", "/admin/v1/proofs", "admin"),
        ("GET", "/admin", "admin"),
        ("GET", "/healthz", "api"),
        ("GET", "/schema/openapi.json", "api"),
        ("GET", "/api/v1/historyx", "api"),
        ("GET", "/reserves", "pages"),
        ("GET", "/trust/", "pages"),
        ("GET", "/attestations", "pages"),
        ("GET", "/attestations/" + "ab" * 32, "expensive"),
        ("GET", "/history", "expensive"),
        ("GET", "/badge.svg", "api"),
    ],
)
def test_route_classes(method, path, expected):
    assert route_class(method, path) == expected


def test_networks_match_ipv4_mapped_peers():
    from portal.clients import ClientResolver

    resolver = ClientResolver((ipaddress.ip_network("10.0.0.0/8"),))
    assert resolver.trusted("::ffff:10.1.2.3") and not resolver.trusted("11.0.0.1") and not resolver.trusted("nope")


def test_only_a_trusted_proxy_sets_the_client_and_the_scheme():
    from portal.clients import KEY_STATE, ClientResolver

    resolver = ClientResolver((ipaddress.ip_network("10.0.0.0/8"),))
    headers = [(b"x-forwarded-for", b"203.0.113.5, 2001:db8:9:9::7"), (b"x-forwarded-proto", b"https")]
    proxied = {"client": ("10.0.0.2", 1), "headers": headers, "scheme": "http", "state": {}}
    assert resolver.resolve(proxied) == "2001:db8:9:9::/64" == proxied["state"][KEY_STATE]
    assert proxied["client"] == ("2001:db8:9:9::7", 0) and proxied["scheme"] == "https"
    direct = {"client": ("198.51.100.9", 1), "headers": headers, "scheme": "http", "state": {}}
    assert resolver.resolve(direct) == "198.51.100.9" and direct["scheme"] == "http"
