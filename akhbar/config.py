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


def load_settings(**overrides) -> Settings:
    """Build settings from AKHBAR_* environment variables, then overrides."""
    data_dir = Path(os.environ.get("AKHBAR_DATA_DIR", "data")).resolve()
    url = os.environ.get("AKHBAR_DATABASE_URL") or f"sqlite:///{data_dir / 'akhbar.db'}"
    values = dict(
        data_dir=data_dir,
        database_url=url,
        allow_hosts=_env_list("AKHBAR_ALLOW_HOSTS"),
        fetch_timeout=_env_float("AKHBAR_FETCH_TIMEOUT", 15.0),
        max_bytes=_env_int("AKHBAR_MAX_BYTES", 10 * 1024 * 1024),
        retries=_env_int("AKHBAR_RETRIES", 2),
        per_host_limit=_env_int("AKHBAR_PER_HOST_LIMIT", 2),
        concurrency=_env_int("AKHBAR_CONCURRENCY", 16),
        poll_interval=_env_float("AKHBAR_POLL_INTERVAL", 900.0),
        fetch_pages=os.environ.get("AKHBAR_FETCH_PAGES", "1") not in ("0", "false", "no"),
        timezone=os.environ.get("AKHBAR_TIMEZONE", "UTC"),
        default_ui=os.environ.get("AKHBAR_UI", "ar"),
        admin_token=os.environ.get("AKHBAR_ADMIN_TOKEN", ""),
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
