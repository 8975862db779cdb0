"""Which addresses and subscription URLs the webhook sender refuses, and why."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from reserves.webhooks.errors import TargetRefused
from reserves.webhooks.targets import SystemResolver, check_url, forbidden_reason

FORBIDDEN = [
    # IPv4
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("169.254.1.1", "link-local"),
    ("169.254.169.254", "metadata"),
    ("169.254.170.2", "metadata"),
    ("100.100.100.200", "metadata"),
    ("100.64.0.1", "cgnat"),
    ("100.127.255.254", "cgnat"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("254.1.2.3", "reserved"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.254", "benchmarking"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("192.0.0.8", "ietf-protocol"),
    ("192.0.0.170", "ietf-protocol"),
    ("192.88.99.1", "6to4-relay"),
    # IPv6
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("febf::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("fec0::1", "site-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("fd00:ec2::254", "metadata"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("100::1", "discard"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ietf-protocol"),
    ("4000::1", "reserved"),
    ("::ffff:0:0:7f00:1", "reserved"),  # SIIT IPv4-translated: not a form any host is published on
    # IPv6 forms that embed an IPv4 address
    ("::ffff:127.0.0.1", "ipv4-mapped 127.0.0.1: loopback"),
    ("::ffff:10.1.2.3", "ipv4-mapped 10.1.2.3: private"),
    ("::ffff:169.254.169.254", "ipv4-mapped 169.254.169.254: metadata"),
    ("::ffff:100.64.0.1", "ipv4-mapped 100.64.0.1: cgnat"),
    ("64:ff9b::7f00:1", "nat64 127.0.0.1: loopback"),
    ("64:ff9b::a9fe:a9fe", "nat64 169.254.169.254: metadata"),
    ("64:ff9b::c0a8:101", "nat64 192.168.1.1: private"),
    ("64:ff9b:1::808:808", "nat64-local"),
    ("::127.0.0.1", "ipv4-compatible"),
    ("::8.8.8.8", "ipv4-compatible"),
    ("2002:7f00:1::1", "6to4"),
    ("2002:808:808::1", "6to4"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.32.0.1",  # just past 172.16/12
    "100.128.0.1",  # just past 100.64/10
    "198.20.0.1",  # just past 198.18/15
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_ranges_name_their_reason(address, reason):
    assert forbidden_reason(ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert forbidden_reason(ip_address(address)) is None


# -- check_url ------------------------------------------------------------------------------------


def refused(url: str, *, allow_private: bool = False, allow_http: bool = True) -> str:
    with pytest.raises(TargetRefused) as caught:
        check_url(url, allow_private=allow_private, allow_http=allow_http)
    assert caught.value.code == "target_refused"
    return caught.value.detail


def accepted(url: str, *, allow_private: bool = False, allow_http: bool = False) -> str:
    return check_url(url, allow_private=allow_private, allow_http=allow_http)


def test_https_is_accepted_and_normalised():
    assert accepted("https://Hooks.Example.COM/in?x=1") == "https://hooks.example.com/in?x=1"
    assert accepted("https://bücher.example/hook") == "https://xn--bcher-kva.example/hook"
    assert accepted("https://8.8.8.8:8443/hook") == "https://8.8.8.8:8443/hook"
    assert accepted("https://[2606:4700:4700::1111]/hook") == "https://[2606:4700:4700::1111]/hook"


def test_plain_http_needs_allow_http():
    assert "http" in refused("http://hooks.example.com/", allow_http=False)
    assert accepted("http://hooks.example.com/", allow_http=True) == "http://hooks.example.com/"


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com/", "hooks.example.com/x"]
)
def test_other_schemes_are_refused(url):
    assert "scheme" in refused(url)


@pytest.mark.parametrize("url", ["https://user:pass@hooks.example.com/", "https://user@hooks.example.com/"])
def test_userinfo_is_refused_even_when_private_is_allowed(url):
    assert "user name or password" in refused(url, allow_private=True)


def test_backslash_userinfo_trick_is_refused():
    assert "user name" in refused("https://hooks.example.com\\@evil.example/")


@pytest.mark.parametrize("url", ["https:///path", "https:hooks", "https://:443/"])
def test_a_url_without_host_is_refused(url):
    refused(url)


def test_too_long_is_refused():
    url = "https://hooks.example.com/" + "a" * 2048
    assert "2048" in refused(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/a b",
        "https://hooks.example.com/\t",
        "https://hooks.example.com/\n",
        "https://hooks.example.com/\x00",
        "https://hooks.example.com/\x7f",
        " https://hooks.example.com/",
        "https://hooks.example.com/\u200b",
        "https://hooks.example.com/\u202e",
        "https://hooks.example.com/\u00a0",
    ],
)
def test_control_characters_and_whitespace_are_refused(url):
    assert "whitespace or control" in refused(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://10.1.2.3:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:7f00:1]/",
        "https://[fd00:ec2::254]/",
        "https://[fe80::1]/",
        "https://[64:ff9b::7f00:1]/",
    ],
)
def test_forbidden_literal_addresses_are_refused_unless_private_is_allowed(url):
    assert "is not allowed" in refused(url)
    assert accepted(url, allow_private=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://127.0.1/",
        "http://017700000001/",
        "http://0177.0.0.1/",
        "http://127.000.000.001/",
        "http://127.0.0.1./",
        "http://8.8.8.8./",
        "http://134744072/",  # 8.8.8.8, public: refused for its form, not its address
        "http://0x08080808/",
        "http://hooks.example.123/",
        "http://hooks.example.0x1f/",
    ],
)
def test_odd_numeric_hosts_are_refused_even_when_private_is_allowed(url):
    refused(url)
    refused(url, allow_private=True)


@pytest.mark.parametrize("host", ["deadbeef.example", "cafe.be", "0x.example.com", "123.example.com", "a-1.io"])
def test_names_that_only_look_numeric_are_names(host):
    assert accepted(f"https://{host}/") == f"https://{host}/"


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "api.localhost",
        "printer.local",
        "metadata.google.internal",
        "db.internal",
        "router.home.arpa",
        "nas.lan",
        "intranet",
        "hooks",
    ],
)
def test_internal_names_are_refused_unless_private_is_allowed(host):
    refused(f"https://{host}/")
    assert accepted(f"https://{host}/", allow_private=True) == f"https://{host.lower()}/"


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com%2f@x/", "https://%31%32%37.0.0.1/", "https://[fe80::1%25eth0]/", "https://[::1/"]
)
def test_malformed_hosts_are_refused(url):
    refused(url, allow_private=True)


def test_port_out_of_range_is_refused():
    assert "out of range" in refused("https://hooks.example.com:99999/")
    assert "out of range" in refused("https://hooks.example.com:0/")


def test_a_name_is_not_resolved_at_creation():
    # "localhost.localtest.me"-style names resolve to loopback; they are judged at connect time.
    assert accepted("https://loopback.example.com/") == "https://loopback.example.com/"


# -- SystemResolver --------------------------------------------------------------------------------


async def test_system_resolver_reads_numeric_forms_without_network():
    resolver = SystemResolver()
    assert await resolver.resolve("127.0.0.1", 80) == ["127.0.0.1"]
    assert await resolver.resolve("2130706433", 80) == ["127.0.0.1"]
    assert await resolver.resolve("::1", 80) == ["::1"]
