"""The `akhbar` command line: sources, OPML, extract, serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from tests.newsroom import Item, render_page


def test_sources_lifecycle_and_opml_round_trip(cli, tmp_path):
    cli("init", "--no-defaults")
    out = cli("sources", "add", "https://da.example/feed", "--name", "الدفاع العربي", "--lang", "ar").output
    assert "added source 1: الدفاع العربي" in out
    assert "already following" in cli("sources", "add", "https://da.example/feed").output
    cli("sources", "add", "https://tt.example/feed", "--name", "Tunisie Telegraph", "--lang", "fr")
    assert cli("sources", "add", "ftp://x", ok=False).exit_code == 2
    listed = [json.loads(line) for line in cli("sources", "list", "--json").output.splitlines()]
    assert [s["name"] for s in listed] == ["الدفاع العربي", "Tunisie Telegraph"]
    cli("sources", "pause", "1")
    assert "paused" in cli("sources", "list").output
    opml = tmp_path / "out.opml"
    cli("sources", "export-opml", str(opml))
    assert "الدفاع العربي" in opml.read_text(encoding="utf-8")
    assert "removed source 1" in cli("sources", "remove", "1", "--yes").output
    assert "1 sources added, 1 already followed" in cli("sources", "import-opml", str(opml)).output
    assert cli("sources", "remove", "99", "--yes", ok=False).exit_code == 1


def test_init_adds_the_default_sources_once(cli):
    first = cli("init").output
    assert "default sources added" in first
    assert "default sources added" not in cli("init").output
    assert len(cli("sources", "list").output.splitlines()) >= 25


def test_extract_prints_the_article_as_json(cli, tmp_path):
    item = Item("BBC", "BB-1", "عنوان الخبر", "culture", "Tue, 20 Feb 2018 01:44:01 GMT", "ملخص",
                "\n".join(["فقرة أولى من نص الخبر تتحدث عن الثقافة والفن في العالم العربي."] * 6))
    page = tmp_path / "page.html"
    page.write_text(render_page(item, "https://bbc.example"), encoding="utf-8")
    data = json.loads(cli("extract", str(page)).output)
    assert data["title"].startswith("عنوان الخبر") and "فقرة أولى" in data["text"]
    assert data["published"].startswith("2018-02-20")
    assert "alert" not in data["html"]
    assert cli("extract", str(tmp_path / "missing.html"), ok=False).exit_code == 1


def test_serve_answers_over_real_http(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "AKHBAR_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    akhbar = [sys.executable, "-m", "akhbar.cli"]
    subprocess.run(akhbar + ["init", "--no-defaults"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(akhbar + ["serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/articles", timeout=2) as res:
                    assert json.load(res) == {"items": [], "next": None}
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start: " + proc.stderr.read1().decode())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as res:
            body = res.read().decode()
            assert 'dir="rtl"' in body and res.headers["Content-Security-Policy"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
