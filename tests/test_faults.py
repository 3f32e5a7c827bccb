"""Faults: a process killed mid-ingest, a locked database, a read-only and a
full disk. Real SQLite files, the real `akhbar` CLI in a subprocess, the real
crawl against a loopback server. Each asserts a clear error and no damage:
PRAGMA integrity_check, no half-written article (every article has its tags
and its search row), and a re-run that ends where a clean run ends.

(Retry-After back-off on 429/503 is in test_hostile.py.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from akhbar.crawl import Crawler
from akhbar.models import Source
from akhbar.replay import replay
from akhbar.storage import open_storage

from tests.test_hostile import AR, Hostile, good_items, rss

AKHBAR = str(Path(sys.executable).with_name("akhbar"))
N_ITEMS = 250
TAGS_PER_ITEM = 2


def write_items(path: Path, n: int = N_ITEMS, text_repeat: int = 6) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "url": f"https://faults.example/{i}", "title": f"خبر رقم {i} عن الاقتصاد",
                "text": f"{AR} {i}. " * text_repeat, "published": "2025-03-13T09:00:00Z",
                "source": f"مصدر {i % 3}", "tags": [f"وسم{i % 7}", f"موضوع{i % 11}"]}, ensure_ascii=False) + "\n")
    return path


def env_for(db: Path) -> dict:
    return {**os.environ, "AKHBAR_DATABASE_URL": f"sqlite:///{db}", "AKHBAR_DATA_DIR": str(db.parent)}


def run_replay(db: Path, items: Path) -> subprocess.CompletedProcess:
    return subprocess.run([AKHBAR, "replay", str(items)], env=env_for(db), capture_output=True, text=True, timeout=240)


def count(db: Path, sql: str = "SELECT count(*) FROM articles") -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not migrated yet
    finally:
        con.close()


def check_consistent(db: Path) -> dict:
    """integrity_check ok, no article without its tags or its search row, no orphan; a fingerprint."""
    con = sqlite3.connect(str(db))
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        untagged = con.execute(
            "SELECT count(*) FROM articles a WHERE (SELECT count(*) FROM article_tags t WHERE t.article_id = a.id) < ?",
            (TAGS_PER_ITEM,)).fetchone()[0]
        assert untagged == 0, f"{untagged} articles without all their tags"
        unindexed = con.execute("SELECT count(*) FROM articles WHERE id NOT IN (SELECT rowid FROM article_search)").fetchone()[0]
        orphans = con.execute("SELECT count(*) FROM article_search WHERE rowid NOT IN (SELECT id FROM articles)").fetchone()[0]
        assert unindexed == 0 and orphans == 0, (unindexed, orphans)
        rows = con.execute(
            "SELECT a.url_key, a.title, s.name, group_concat(t.key, ' ') FROM articles a JOIN sources s ON s.id = a.source_id"
            " JOIN article_tags at ON at.article_id = a.id JOIN tags t ON t.id = at.tag_id GROUP BY a.id").fetchall()
        dup = con.execute("SELECT count(*) - count(DISTINCT url_key) FROM articles").fetchone()[0]
        assert dup == 0
        fts = con.execute("SELECT count(*) FROM article_search WHERE article_search MATCH 'الاقتصاد'").fetchone()[0]
        return {"articles": sorted((k, t, s, " ".join(sorted(g.split()))) for k, t, s, g in rows),
                "tags": con.execute("SELECT count(*) FROM tags").fetchone()[0],
                "sources": con.execute("SELECT count(*) FROM sources").fetchone()[0], "fts": fts}
    finally:
        con.close()


# -- kill -9 ---------------------------------------------------------------------

def test_kill_9_during_replay_leaves_no_damage_and_a_rerun_equals_a_clean_run(tmp_path):
    items = write_items(tmp_path / "items.jsonl")
    clean_db, killed_db = tmp_path / "clean.db", tmp_path / "killed.db"
    # the reference
    res = run_replay(clean_db, items)
    assert res.returncode == 0, res.stderr
    clean = check_consistent(clean_db)
    assert len(clean["articles"]) == N_ITEMS

    kills = []
    for target in (40, 130):  # killed twice, at two depths
        proc = subprocess.Popen([AKHBAR, "replay", str(items)], env=env_for(killed_db),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if killed_db.exists() and count(killed_db) >= target:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "replay finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        kills.append(count(killed_db))
        check_consistent(killed_db)  # after each kill: intact, nothing half-written
    assert 0 < kills[0] < N_ITEMS and kills[0] <= kills[1] < N_ITEMS, kills

    res = run_replay(killed_db, items)
    assert res.returncode == 0, res.stderr
    assert f"{N_ITEMS - kills[1]} new, {kills[1]} already stored" in res.stdout, res.stdout
    assert check_consistent(killed_db) == clean  # no loss, no duplicates, same tags and index


# -- a locked database ---------------------------------------------------------------

def short_busy_timeout(store, ms: int = 100):
    """The storage waits 30 s for a lock; the test does not. Same engine, same pragmas, shorter wait."""

    @event.listens_for(store.engine, "connect")
    def _busy(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA busy_timeout={ms}")

    store.engine.dispose()


def test_a_locked_database_gives_a_clear_error_then_ingest_resumes(tmp_path):
    db = tmp_path / "locked.db"
    store = open_storage(f"sqlite:///{db}")
    short_busy_timeout(store)
    items = write_items(tmp_path / "few.jsonl", 10)
    holder = sqlite3.connect(str(db), timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    holder.execute("INSERT INTO tags(name, key, created_at) VALUES ('x', 'x', '2025-01-01')")
    try:
        t0 = time.monotonic()
        report = replay(store, items)
        assert report.new == 0 and len(report.errors) == report.seen == 10
        assert all("database is locked" in reason for _where, reason in report.errors), report.errors[:2]
        assert time.monotonic() - t0 < 30
        # readers are not blocked (WAL)
        assert store.count_articles() == 0 and store.list_articles().items == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    report = replay(store, items)
    assert report.new == 10 and not report.errors
    store.close()
    assert len(check_consistent(db)["articles"]) == 10


def test_crawl_on_a_locked_database_fails_clearly_and_the_next_crawl_loses_nothing(tmp_path, settings):
    server = Hostile()
    try:
        server.simple("/feed.xml", rss(good_items(server.base, "lk", 4)))
        db = tmp_path / "crawl.db"
        store = open_storage(f"sqlite:///{db}")
        short_busy_timeout(store)
        src = store.add_source(Source(url=server.url("/feed.xml"), name="locked", lang="ar"))
        s = dataclasses.replace(settings, fetch_pages=False, database_url=f"sqlite:///{db}")
        holder = sqlite3.connect(str(db), timeout=1, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO tags(name, key, created_at) VALUES ('x', 'x', '2025-01-01')")
        try:
            with pytest.raises(OperationalError, match="database is locked"):
                asyncio.run(Crawler(store, s).crawl_once())
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        # nothing stored, and no validators recorded: the next poll reads the whole feed again
        assert store.count_articles() == 0 and store.get_source(src.id).etag is None
        report = asyncio.run(Crawler(store, s).crawl_once())
        assert report.new == 4 and not report.failed
        store.close()
        con = sqlite3.connect(str(db))
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM articles WHERE id NOT IN (SELECT rowid FROM article_search)").fetchone() == (0,)
        con.close()
    finally:
        server.close()


# -- read-only and full disks (a real tmpfs; needs root) -----------------------------

@pytest.fixture
def tmpfs(tmp_path, request):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    size = getattr(request, "param", "2m")
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a tmpfs")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def remount(mnt: Path, opts: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{opts}", str(mnt)], check=True, capture_output=True)


def test_a_full_disk_gives_a_clear_error_and_no_damage(tmpfs, tmp_path):
    db = tmpfs / "full.db"
    items = write_items(tmp_path / "big.jsonl", 100, text_repeat=200)  # ~4 MB of text and index into 2 MB of disk
    res = run_replay(db, items)
    out = res.stdout + res.stderr
    assert "database or disk is full" in out, out[-2000:]
    stored = count(db)
    assert 0 < stored < 100
    check_consistent(db)
    remount(tmpfs, "size=64m")
    res = run_replay(db, items)
    assert res.returncode == 0, res.stderr
    assert f"{100 - stored} new, {stored} already stored" in res.stdout, res.stdout
    assert len(check_consistent(db)["articles"]) == 100


@pytest.mark.parametrize("tmpfs", ["64m"], indirect=True)
def test_a_read_only_disk_gives_a_clear_error_and_no_damage(tmpfs, tmp_path):
    db = tmpfs / "ro.db"
    items = write_items(tmp_path / "few.jsonl", 30)
    assert run_replay(db, write_items(tmp_path / "first.jsonl", 10)).returncode == 0
    before = check_consistent(db)
    remount(tmpfs, "ro")
    try:
        res = run_replay(db, items)
        out = res.stdout + res.stderr
        assert res.returncode != 0 or "0 new" in res.stdout
        assert any(m in out for m in ("readonly database", "read-only", "unable to open database")), out[-2000:]
        assert "Traceback" not in out and "Error: database error at sqlite:///" in out, out[-2000:]
    finally:
        remount(tmpfs, "rw")
    assert check_consistent(db) == before
    res = run_replay(db, items)
    assert res.returncode == 0 and "20 new, 10 already stored" in res.stdout, res.stdout
