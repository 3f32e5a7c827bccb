"""A threaded HTTP server on a loopback address for tests that fetch: each
GET is answered by ``respond(handler) -> (status, headers, body)``.

    httpd, base = serve_get(lambda h: (200, {"Content-Type": "text/plain"}, b"hi"))
    ...
    stop(httpd)
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Respond = Callable[[BaseHTTPRequestHandler], "tuple[int, dict, bytes]"]


def serve_get(respond: Respond, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    """Start serving on a free port of *host*; (server, base URL)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            status, headers, body = respond(self)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if not any(k.lower() == "content-length" for k in headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer((host, 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://{host}:{httpd.server_address[1]}"


def stop(httpd: ThreadingHTTPServer) -> None:
    httpd.shutdown()
    httpd.server_close()
