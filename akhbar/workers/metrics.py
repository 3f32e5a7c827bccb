"""Prometheus metrics of the ingest path.

Workers count fetches, failures and stored articles here. Under the
prefork pool every child process counts in its own memory; `akhbar worker
--metrics-port` sets PROMETHEUS_MULTIPROC_DIR before the children fork and
serves their sum. The web process (`/metrics`, akhbar.web.ops) adds
request latency and gauges read from the database and the broker.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FETCHES = Counter("akhbar_fetches_total", "HTTP fetches by the ingest path", ["kind"])  # feed | page
FETCH_FAILURES = Counter("akhbar_fetch_failures_total", "Fetches that failed", ["kind"])
ARTICLES_STORED = Counter("akhbar_articles_stored_total", "Articles newly stored by this process")
TASK_SECONDS = Histogram("akhbar_task_seconds", "Worker task duration", ["task"],
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))

for _kind in ("feed", "page"):  # export zeros before the first fetch
    FETCHES.labels(_kind)
    FETCH_FAILURES.labels(_kind)
