"""The fixture server: one site per Host, exact bytes, gzip, faults on request."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json

from conftest import SITES_DIR


def get(server, host: str, path: str, headers: dict | None = None):
    ip, port = server.address.split(":")
    conn = http.client.HTTPConnection(ip, int(port), timeout=5)
    conn.request("GET", path, headers={"Host": host, **(headers or {})})
    response = conn.getresponse()
    return response, response.read()


def test_sites_by_host(server) -> None:
    response, body = get(server, "www.danfeng.gov.cn", "/info/1061/158790.htm")
    assert response.status == 200
    assert body == (SITES_DIR / "www.danfeng.gov.cn/info/1061/158790.htm").read_bytes()
    assert get(server, "unknown.example", "/")[0].status == 404
    assert get(server, "www.danfeng.gov.cn", "/no/such/page.htm")[0].status == 404
    response, _ = get(server, "www.danfeng.gov.cn", "/")
    assert (response.status, response.getheader("Location")) == (302, "/index.htm")


def test_gzip_is_deterministic_and_logged(server) -> None:
    path = "/html/2020/24h_0210/233845.html"
    first, body1 = get(server, "www.ahcaijing.com", path, {"Accept-Encoding": "gzip"})
    _, body2 = get(server, "www.ahcaijing.com", path, {"Accept-Encoding": "gzip"})
    assert first.getheader("Content-Encoding") == "gzip" and body1 == body2
    assert gzip.decompress(body1) == (SITES_DIR / "www.ahcaijing.com" / path.lstrip("/")).read_bytes()
    plain, body3 = get(server, "www.ahcaijing.com", path)
    assert plain.getheader("Content-Encoding") is None and body3 == gzip.decompress(body1)
    assert server.served("www.ahcaijing.com")[0].body_sha1 == hashlib.sha1(body1).hexdigest()


def test_routes_added_at_run_time(server) -> None:
    server.add_route("www.ahcaijing.com", "/x", body="截断的页面" * 10, truncate=7,
                     headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    try:
        get(server, "www.ahcaijing.com", "/x")
        raise AssertionError("a truncated body was read whole")
    except http.client.IncompleteRead as exc:
        assert len(exc.partial) == 7
    ip, port = server.address.split(":")
    conn = http.client.HTTPConnection(ip, int(port), timeout=5)
    conn.request("HEAD", "/x", headers={"Host": "www.ahcaijing.com"})
    assert conn.getresponse().headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_every_site_lists_its_articles() -> None:
    for config in SITES_DIR.glob("*/_site.json"):
        articles = json.loads(config.read_text("utf-8"))["articles"]
        assert articles, config
