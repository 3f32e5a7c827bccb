"""`akhbar serve` for scripts/bench.py, plus one static route: the stack's floor.

    AKHBAR_DATABASE_URL=sqlite:///.bench/scale-20000.db python scripts/bench_serve.py --port 8123

The very app `akhbar serve` runs (create_app: middlewares, storage, templates)
under uvicorn with the same options, one process; `/bench/static` answers a
fixed small HTML body through the same middlewares, so the gap between it and
a real page is the page's own work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import uvicorn
    from fastapi.responses import HTMLResponse

    from akhbar.web.app import create_app

    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8123)
    args = ap.parse_args()
    app = create_app()
    body = "<!DOCTYPE html><html lang=ar dir=rtl><title>akhbar</title><p>أخبار</p></html>"

    # async: answered on the event loop; a plain `def` route would add a
    # thread-pool hop per request and make a floor far below the real one
    @app.get("/bench/static", response_class=HTMLResponse, include_in_schema=False)
    async def static_page():
        return HTMLResponse(body)

    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=False)


if __name__ == "__main__":
    main()
