"""Settings, read once from the environment.

Every knob has a default that works for one person on one machine
(embedded SQLite in ./data); production overrides by environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_list(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    allow_hosts: tuple[str, ...] = ()
    user_agent: str = "akhbar/0.1 (+https://github.com/akhbar/akhbar)"
    fetch_timeout: float = 15.0
    fetch_deadline: float = 60.0  # total seconds one fetch may take: redirects, retries, slow bodies
    ssrf_strict: bool = False  # refuse every non-public address, ignoring allow_hosts
    cors_origins: tuple[str, ...] = ()  # origins allowed to call /api/v1 from a browser ("*" for any)
    rate_limit: float = 0.0  # API/search requests per second per client IP; 0 = off
    rate_burst: int = 30  # requests a client may make at once before the rate applies
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    per_host_limit: int = 2
    concurrency: int = 16
    poll_interval: float = 900.0
    fetch_pages: bool = True
    timezone: str = "UTC"
    default_ui: str = "ar"
    secret_key: str = field(default="", repr=False)
    admin_token: str = field(default="", repr=False)
    stories: bool = True  # group articles into stories as they are stored
    analysis_processes: int = 0  # processes for extraction + analysis in the crawl (0: a thread here)
    # -- scale-out (akhbar.workers): broker, schedule, adaptive polling, ops
    broker_url: str = field(default="", repr=False)  # redis://… or amqp://…; empty = single process
    queue: str = "akhbar"  # the broker queue the workers consume
    poll_adaptive: bool = True  # poll each source about as often as it publishes
    poll_min_interval: float = 300.0  # adaptive interval bounds (seconds)
    poll_max_interval: float = 86400.0
    lease_seconds: float = 300.0  # how long a worker's claim on a source lasts
    schedule_tick: float = 30.0  # seconds between the scheduler's looks for due sources
    group_tick: float = 5.0  # seconds between the grouping consumer's looks for new articles
    log_format: str = "text"  # text | json (one JSON object per line)
    metrics_port: int = 0  # a worker's Prometheus endpoint (0 = none)
    # where hubs reach this deployment (https://news.example); WebSub is off without it
    public_url: str = ""


def load_settings(**overrides) -> Settings:
    """Build settings from AKHBAR_* environment variables, then overrides."""
    data_dir = Path(os.environ.get("AKHBAR_DATA_DIR", "data")).resolve()
    url = os.environ.get("AKHBAR_DATABASE_URL") or f"sqlite:///{data_dir / 'akhbar.db'}"
    values = dict(
        data_dir=data_dir,
        database_url=url,
        allow_hosts=_env_list("AKHBAR_ALLOW_HOSTS"),
        fetch_timeout=_env_float("AKHBAR_FETCH_TIMEOUT", 15.0),
        fetch_deadline=_env_float("AKHBAR_FETCH_DEADLINE", 60.0),
        ssrf_strict=os.environ.get("AKHBAR_SSRF_STRICT", "0") not in ("0", "false", "no", ""),
        cors_origins=_env_list("AKHBAR_CORS_ORIGINS"),
        rate_limit=_env_float("AKHBAR_RATE_LIMIT", 0.0),
        rate_burst=_env_int("AKHBAR_RATE_BURST", 30),
        max_bytes=_env_int("AKHBAR_MAX_BYTES", 10 * 1024 * 1024),
        retries=_env_int("AKHBAR_RETRIES", 2),
        per_host_limit=_env_int("AKHBAR_PER_HOST_LIMIT", 2),
        concurrency=_env_int("AKHBAR_CONCURRENCY", 16),
        poll_interval=_env_float("AKHBAR_POLL_INTERVAL", 900.0),
        fetch_pages=os.environ.get("AKHBAR_FETCH_PAGES", "1") not in ("0", "false", "no"),
        timezone=os.environ.get("AKHBAR_TIMEZONE", "UTC"),
        default_ui=os.environ.get("AKHBAR_UI", "ar"),
        admin_token=os.environ.get("AKHBAR_ADMIN_TOKEN", ""),
        stories=os.environ.get("AKHBAR_STORIES", "1") not in ("0", "false", "no"),
        analysis_processes=_env_int("AKHBAR_ANALYSIS_PROCESSES", min(os.cpu_count() or 1, 4)),
        broker_url=os.environ.get("AKHBAR_BROKER_URL", ""),
        queue=os.environ.get("AKHBAR_QUEUE", "akhbar"),
        poll_adaptive=os.environ.get("AKHBAR_POLL_ADAPTIVE", "1") not in ("0", "false", "no"),
        poll_min_interval=_env_float("AKHBAR_POLL_MIN_INTERVAL", 300.0),
        poll_max_interval=_env_float("AKHBAR_POLL_MAX_INTERVAL", 86400.0),
        lease_seconds=_env_float("AKHBAR_LEASE_SECONDS", 300.0),
        schedule_tick=_env_float("AKHBAR_SCHEDULE_TICK", 30.0),
        group_tick=_env_float("AKHBAR_GROUP_TICK", 5.0),
        log_format=os.environ.get("AKHBAR_LOG_FORMAT", "text"),
        metrics_port=_env_int("AKHBAR_METRICS_PORT", 0),
        public_url=os.environ.get("AKHBAR_PUBLIC_URL", "").strip().rstrip("/"),
    )
    values.update(overrides)
    return Settings(**values)


def shared_data_dir() -> Path:
    """Where the shared corpora live (../shared/data unless AKHBAR_DATA says otherwise)."""
    env = os.environ.get("AKHBAR_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    return (here.parent / "shared" / "data").resolve()
