"""Shared fixtures: real SQLite files, a real loopback newsroom, the CLI."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from akhbar.config import load_settings, shared_data_dir
from akhbar.storage import open_storage

from tests.newsroom import Newsroom


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "ant-multisource").is_dir():
        msg = f"shared data not found at {path} (set AKHBAR_DATA to the shared/data folder)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module")
def newsroom(shared_data):
    room = Newsroom(shared_data).start()
    yield room
    room.stop()


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'akhbar.db'}",
        allow_hosts=("127.0.0.1",),
        retries=1,
        fetch_timeout=5.0,
    )


@pytest.fixture
def storage(settings):
    store = open_storage(settings.database_url)
    yield store
    store.close()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `akhbar ...` in-process against a database in tmp_path."""
    from akhbar.cli import main

    monkeypatch.setenv("AKHBAR_DATABASE_URL", f"sqlite:///{tmp_path / 'akhbar.db'}")
    monkeypatch.setenv("AKHBAR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AKHBAR_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("AKHBAR_RETRIES", "1")
    monkeypatch.setenv("AKHBAR_FETCH_TIMEOUT", "5")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


PG_ADMIN = os.environ.get("AKHBAR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_url():
    """The URL of a fresh, empty PostgreSQL database, dropped afterwards (a
    skip without a server; a failure under CI, where .ci/run starts one)."""
    name = f"akhbar_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """An empty, migrated Storage: once on SQLite, once on a fresh PostgreSQL database."""
    url = (f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    st = open_storage(url)
    yield st
    st.close()
