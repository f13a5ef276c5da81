"""A hostile web server for the fault tests, on 127.0.0.1 only: cut connections, broken chunked
streams, charsets that lie, binary files at article URLs, a page of 100,000 links, 503/429 with
Retry-After, redirect loops. Raw sockets, so it can send what no well-behaved server library would.

One host, `hostile.example`: a crawl sends it there with `-s FIXTURE_HOSTS=hostile.example
-s FIXTURE_SERVER=<address>`. `heal()` makes the broken pages whole. Every request is logged
with its arrival time in `requests`.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml

HOST = "hostile.example"
_ARTICLES = Path(__file__).resolve().parents[1] / "tools" / "fixtures" / "articles.yaml"


def article(title: str, paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head>'
            f'<body><div class="nav"><a href="/">首页</a></div><article><h1>{title}</h1>'
            f'<div class="info">2024-03-0{len(title) % 9 + 1} 10:00 来源：敌意日报</div>\n{body}</article>'
            '<div class="footer">版权所有 敌意日报</div></body></html>')


def _stories() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of the fixture sites' stories: real, distinct texts."""
    found: list[tuple[str, list[str]]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "title" in node and "paragraphs" in node:
                found.append((node["title"], [p for p in node["paragraphs"] if isinstance(p, str)]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load(_ARTICLES.read_text("utf-8")))
    return found


STORIES = _stories()
NORMAL = {f"/news/normal-{i}.html": STORIES[i] for i in range(3)}
# About 40,000 bytes: the connection is cut after 1,800.
TRUNCATED = (STORIES[3][0], [f"{i}. {p}" for i in range(1, 61) for p in STORIES[3][1]])
CHUNKED = (STORIES[4][0], [f"{i}. {p}" for i in range(1, 21) for p in STORIES[4][1]])
CUT, GBK_FOOTER, INVALID = STORIES[5], STORIES[6], STORIES[7]
BUSY = {"/news/busy-503.html": STORIES[8], "/news/busy-429.html": STORIES[9]}
CUT_AT = (5, 25, 45)  # characters of the second paragraph cut to their first byte
STALLED, HUGE = STORIES[11], STORIES[12]
DEPTHS = (300, 1000, 3000)
DEEP = {n: STORIES[i] for i, n in enumerate(DEPTHS)}  # stories of their own: no copies filed
# Not on the main index: served from /faults.html.
FAULT_PAGES = ("/news/truncated.html", "/news/stalled.html", "/news/empty.html", "/news/blank.html",
               "/news/huge.html", *(f"/news/deep-{n}.html" for n in DEPTHS))


def nested(title: str, paragraphs: list[str], depth: int) -> str:
    """The article inside `depth` nested <div>s (libxml2 stops at 256 levels by default)."""
    page = article(title, paragraphs)
    return page.replace("<article>", "<div>" * depth + "<article>").replace("</article>", "</article>" + "</div>" * depth)


def _utf8_with_cut_chars() -> bytes:
    """A UTF-8 page with three multi-byte characters cut to their first byte."""
    title, paras = CUT
    second = paras[1]
    broken = b""
    for i, char in enumerate(second):
        broken += char.encode("utf-8")[:1] if i in CUT_AT else char.encode("utf-8")
    page = article(title, paras).encode("utf-8")
    return page.replace(second.encode("utf-8"), broken)


def _utf8_with_gbk_footer() -> bytes:
    page = article(*GBK_FOOTER).encode("utf-8")
    footer = '<div class="footer">版权所有 敌意日报</div>'
    return page.replace(footer.encode("utf-8"), '<div class="footer">本站版权所有，转载须注明出处</div>'.encode("gbk"))


def _utf8_with_invalid_sequences() -> bytes:
    title, paras = INVALID
    page = article(title, paras).encode("utf-8")
    at = page.index(paras[1][10:].encode("utf-8"))
    return page[:at] + b"\xff\xfe" + page[at:at + 60] + b"\xc0\xaf" + page[at + 60:]


def _links_page(n: int) -> bytes:
    links = "".join(f'<a href="http://elsewhere.example/p/{i}.html">链接{i}</a>\n' for i in range(n))
    return f'<html><head><meta charset="utf-8"><title>链接</title></head><body>{links}</body></html>'.encode()


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 30 + b"\xff\xd9"


def _gzip_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(b"\0" * size) + compressor.flush()


@dataclass
class Seen:
    path: str
    at: float


class HostileServer:
    """Serve the hostile pages on 127.0.0.1 in background threads."""

    SLOW_PAGES = 100  # /slow/N.html: small pages answered after slow_delay, to keep the crawl busy

    def __init__(self, links: int = 100_000, slow_delay: float = 0.1, stall: float = 4.0) -> None:
        self.healed = False
        self.stall = stall
        self.requests: list[Seen] = []
        self.hits: dict[str, int] = {}
        self.slow_delay = slow_delay
        self.lock = threading.Lock()
        self.links_page = _links_page(links)
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._handle(self)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            request_queue_size = 128

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def faults(self) -> bytes:
        """An index of the pages other than the main one's: failures mid-body, empty and huge
        pages, deep nesting."""
        items = "".join(f'<li><a href="{u}">{u}</a></li>' for u in FAULT_PAGES)
        return f'<html><head><meta charset="utf-8"><title>故障</title></head><body><ul>{items}</ul></body></html>'.encode()

    def heal(self) -> None:
        self.healed = True

    def seen(self, prefix: str = "") -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    # --- the pages ---------------------------------------------------------------------
    def index(self) -> bytes:
        links = [*NORMAL, "/news/truncated.html", "/news/chunked.html", "/news/utf8-cut.html",
                 "/news/utf8-gbk-footer.html", "/news/utf8-invalid.html", "/news/report.html",
                 "/news/photo.html", "/news/busy-503.html", "/news/busy-429.html", "/news/busy-long.html", "/news/loop-a.html",
                 "/news/redirects-0.html", "/news/bomb.html", "/news/corrupt-gzip.html",
                 *(f"/slow/{i}.html" for i in range(self.SLOW_PAGES)),
                 "/links.html"]  # last: Scrapy's queue is LIFO, so it comes before the slow pages
        items = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
        return f'<html><head><meta charset="utf-8"><title>敌意</title></head><body><ul>{items}</ul></body></html>'.encode()

    def _handle(self, conn: socketserver.StreamRequestHandler) -> None:
        line = conn.rfile.readline().decode("latin-1")
        while conn.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        parts = line.split()
        if len(parts) < 2:
            return
        path = parts[1]
        with self.lock:
            self.requests.append(Seen(path, time.time()))
            self.hits[path] = self.hits.get(path, 0) + 1
            hits = self.hits[path]
        send = conn.wfile.write
        html = "text/html; charset=utf-8"

        def respond(body: bytes, ctype: str = html, status: str = "200 OK",
                    headers: tuple[tuple[str, str], ...] = ()) -> None:
            head = [f"HTTP/1.1 {status}", f"Content-Type: {ctype}", f"Content-Length: {len(body)}",
                    "Connection: close", *(f"{k}: {v}" for k, v in headers)]
            send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

        def cut_short(story: tuple[str, list[str]], keep: int | None) -> bool:
            """The story's page, whole once healed; else its head and its first `keep` bytes
            (half by default), the connection left to the caller. Whether it was cut."""
            body = article(*story).encode("utf-8")
            if self.healed:
                respond(body)
                return False
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {html}\r\nContent-Length: {len(body)}\r\n\r\n"
            send(head.encode() + body[:len(body) // 2 if keep is None else keep])
            conn.wfile.flush()
            return True

        if path == "/robots.txt":
            respond(b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/":
            respond(self.index())
        elif path == "/faults.html":
            respond(self.faults())
        elif path == "/news/stalled.html":
            if cut_short(STALLED, None):
                time.sleep(self.stall)  # longer than the crawl's DOWNLOAD_TIMEOUT
        elif path in ("/news/empty.html", "/news/blank.html"):
            respond(b"" if "empty" in path else b"  \r\n\t \n  \n")
        elif path == "/news/huge.html":
            respond(article(HUGE[0], HUGE[1] * 400).encode("utf-8"))
        elif path.startswith("/news/deep-"):
            depth = int(path.rsplit("-", 1)[1].split(".")[0])
            respond(nested(*DEEP[depth], depth).encode("utf-8"))
        elif path in NORMAL:
            respond(article(*NORMAL[path]).encode("utf-8"))
        elif path == "/news/truncated.html":
            if cut_short(TRUNCATED, 1800):
                # A reset, not a clean close: SO_LINGER 0 sends RST.
                conn.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif path == "/news/chunked.html":
            body = article(*CHUNKED).encode("utf-8")
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {html}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                              for i in range(0, len(body), 1000))
            send(head.encode() + (chunks + b"0\r\n\r\n" if self.healed else chunks[:2500]))
        elif path == "/news/utf8-cut.html":
            respond(_utf8_with_cut_chars())
        elif path == "/news/utf8-gbk-footer.html":
            respond(_utf8_with_gbk_footer())
        elif path == "/news/utf8-invalid.html":
            respond(_utf8_with_invalid_sequences())
        elif path == "/news/report.html":
            respond(PDF, "application/pdf")
        elif path == "/news/photo.html":
            respond(JPEG, "image/jpeg")
        elif path in BUSY:
            if hits == 1:
                status, wait = ("503 Service Unavailable", "2") if "503" in path else ("429 Too Many Requests", "1")
                respond(b"busy", "text/plain", status, (("Retry-After", wait),))
            else:
                respond(article(*BUSY[path]).encode())
        elif path == "/news/busy-long.html":
            respond(b"come back tomorrow", "text/plain", "503 Service Unavailable", (("Retry-After", "86400"),))
        elif path in ("/news/loop-a.html", "/news/loop-b.html"):
            other = "/news/loop-b.html" if path.endswith("a.html") else "/news/loop-a.html"
            respond(b"", "text/html", "302 Found", (("Location", other),))
        elif path.startswith("/news/redirects-"):
            n = int(path.rsplit("-", 1)[1].split(".")[0])
            respond(b"", "text/html", "301 Moved Permanently", (("Location", f"/news/redirects-{n + 1}.html"),))
        elif path == "/news/bomb.html":
            respond(_gzip_bomb(64 << 20), html, headers=(("Content-Encoding", "gzip"),))
        elif path == "/news/corrupt-gzip.html":
            data = bytearray(zlib.compress(article(*STORIES[10]).encode(), 9))
            respond(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(data[10:40]) + b"\x00" * 40,
                    html, headers=(("Content-Encoding", "gzip"),))
        elif path == "/links.html":
            respond(self.links_page)
        elif path.startswith("/slow/"):
            time.sleep(self.slow_delay)
            respond(b'<html><head><meta charset="utf-8"><title>s</title></head><body>s</body></html>')
        else:
            respond(b"not found", "text/plain", "404 Not Found")
