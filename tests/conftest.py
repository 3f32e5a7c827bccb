"""Shared fixtures: real SQLite files, a real loopback newsroom, the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
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
