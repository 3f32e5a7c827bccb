"""A fast loopback news server for scripts/bench.py (its own process).

    python scripts/bench_newsroom.py SITE_FILE PORT HOST [HOST ...]

SITE_FILE is a marshal dump of {path_and_query: (content_type, body, etag)}
written by bench.py. Listens on PORT on each loopback HOST (127.x.y.z: a
crawler sees many hosts, as in real life, and its per-host limits apply as
they would). HTTP/1.1 keep-alive on asyncio; answers 304 when
If-None-Match matches the entry's ETag; 404 for unknown paths. It keeps a
count of answers per status and prints it to stdout on SIGTERM/SIGINT.

Minimal on purpose: the server must cost the measured client as little CPU
as possible on the shared 2-core machine.
"""

from __future__ import annotations

import asyncio
import marshal
import signal
import sys
from collections import Counter

COUNTS: Counter = Counter()


class Http(asyncio.Protocol):
    site: dict = {}

    def connection_made(self, transport):
        self.t = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            path = parts[1] if len(parts) > 1 else "/"
            inm = None
            for line in lines[1:]:
                k, _, v = line.partition(":")
                if k.lower() == "if-none-match":
                    inm = v.strip()
            hit = self.site.get(path)
            if hit is None:
                status, ctype, body, etag = 404, "text/plain", b"not found", None
            else:
                ctype, body, etag = hit
                status = 304 if etag and inm == etag else 200
                if status == 304:
                    body = b""
            COUNTS[status] += 1
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
            hdr = f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
            if status != 304:
                hdr += f"Content-Type: {ctype}\r\n"
            if etag:
                hdr += f'ETag: {etag}\r\n'
            self.t.write(hdr.encode("latin-1") + b"\r\n" + body)


async def main(site_file: str, port: int, hosts: list[str]) -> None:
    with open(site_file, "rb") as fh:
        Http.site = marshal.load(fh)
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(Http, h, port, reuse_address=True, backlog=4096) for h in hosts]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for s in servers:
        s.close()
    print(dict(COUNTS), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
