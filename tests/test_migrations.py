"""The Alembic migrations build exactly the schema the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from akhbar.storage import open_storage
from akhbar.storage.migrate import current_revision, upgrade
from akhbar.storage.schema import metadata
from akhbar.text.hashtags import hashtag_key

UNMANAGED = ("article_search",)


def include_name(name, type_, parent_names):
    # the engine-specific search index is created by hand-written migration 0002
    return not (type_ == "table" and name and name.startswith(UNMANAGED))


def test_migrated_schema_matches_metadata(tmp_path):
    store = open_storage(f"sqlite:///{tmp_path / 'm.db'}")
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": include_name})
        diffs = compare_metadata(ctx, metadata)
    assert diffs == []
    assert current_revision(store.engine) is not None


def test_upgrade_is_idempotent_and_sqlite_uses_wal(tmp_path):
    store = open_storage(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(store.engine)
    upgrade(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= {"sources", "articles", "tags", "article_tags"}
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_migrations_match_metadata_on_every_backend(store):
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(ctx, metadata) == []
    assert "article_search" in inspect(store.engine).get_table_names()


def test_0003_rekeys_tags_and_merges_spellings_that_now_collide(tmp_path):
    """Before 0003 a tag's key kept the article ال: "الجزائر" and "جزائر"
    were two tags. After it they are one, holding the articles of both."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, url, name, status, error_count, created_at) "
                          "VALUES (1, 'https://a.example/f', 'a', 'active', 0, '2025-01-01 00:00:00')"))
        for i in (1, 2, 3):
            conn.execute(text(
                "INSERT INTO articles (id, source_id, url, url_key, title, summary, text, html, published_at,"
                " fetched_at, content_hash, extracted) VALUES (:i, 1, :u, :u, 't', '', '', '',"
                " '2025-01-0' || :i || ' 00:00:00', '2025-01-01 00:00:00', '', 0)"), {"i": i, "u": f"a.example/{i}"})
        conn.execute(text("INSERT INTO tags (id, name, key, created_at) VALUES "
                          "(1, 'الجزائر', 'الجزائر', '2025-01-01'), (2, 'جزائر', 'جزائر', '2025-01-01'),"
                          " (3, 'تونس', 'تونس', '2025-01-01')"))
        conn.execute(text("INSERT INTO article_tags (article_id, tag_id, published_at) VALUES "
                          "(1, 1, '2025-01-01'), (2, 2, '2025-01-02'), (3, 1, '2025-01-03'), (3, 2, '2025-01-03'),"
                          " (3, 3, '2025-01-03')"))
    upgrade(engine)
    with engine.connect() as conn:
        tags = conn.execute(text("SELECT id, name, key, translit FROM tags ORDER BY id")).all()
        assert [(t.id, t.name) for t in tags] == [(1, "الجزائر"), (3, "تونس")]
        assert tags[0].key == hashtag_key("جزائر") == hashtag_key("الجزائر")
        assert tags[0].translit == "lgsr"
        rows = conn.execute(text("SELECT article_id, tag_id FROM article_tags ORDER BY article_id, tag_id")).all()
        assert [tuple(r) for r in rows] == [(1, 1), (2, 1), (3, 1), (3, 3)]


def _old_store(path, revision: str, arts, facets=None) -> str:
    """A SQLite store at *revision* holding sources 1 and 2 and the articles
    *arts* ((id, source, section)), each indexed with the term حكوم, body
    "body<id>" and, when given, facets(source) in the facets column."""
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, text

    url = f"sqlite:///{path}"
    engine = create_engine(url)
    upgrade(engine, revision)
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    with engine.begin() as conn:
        for sid in (1, 2):
            conn.execute(text("INSERT INTO sources (id, url, name, status, error_count, created_at) "
                              "VALUES (:i, :u, 'n', 'active', 0, '2025-01-01 00:00:00')"), {"i": sid, "u": f"https://{sid}.example/f"})
        for i, sid, sec in arts:
            conn.execute(text(
                "INSERT INTO articles (id, source_id, url, url_key, title, summary, text, html, published_at,"
                " fetched_at, content_hash, extracted, section) VALUES (:i, :s, :u, :u, 't', '', '', '', :now, :now, '', 0, :sec)"),
                {"i": i, "s": sid, "u": f"a.example/{i}", "now": now, "sec": sec})
            if facets is None:
                conn.execute(text("INSERT INTO article_search(rowid, title, body, tags, source) VALUES (:i, 'حكوم', :b, '', 'n')"),
                             {"i": i, "b": f"body{i}"})
            else:
                conn.execute(text("INSERT INTO article_search(rowid, title, body, tags, source, facets)"
                                  " VALUES (:i, 'حكوم', :b, '', 'n', :f)"), {"i": i, "b": f"body{i}", "f": facets(sid)})
    engine.dispose()
    return url


def test_0010_files_every_indexed_article_under_its_source(tmp_path):
    """0010 rebuilds SQLite's search index with a facets column: the terms
    are copied as they were, and a source filter then finds the articles."""
    from akhbar.search import SearchQuery
    from akhbar.search.index import source_facet

    url = _old_store(tmp_path / "old.db", "0009", ((1, 1, None), (2, 2, None), (3, 1, None)))
    store = open_storage(url)  # upgrades to head
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT rowid, body, facets FROM article_search ORDER BY rowid").all()
    assert [tuple(r) for r in rows] == [(1, "body1", source_facet(1)), (2, "body2", source_facet(2)),
                                        (3, "body3", source_facet(1))]
    hits = store.search(SearchQuery(text="حكومة", source_id=1)).hits
    assert sorted(h.article.id for h in hits) == [1, 3]


def test_0011_files_every_indexed_article_under_its_section(tmp_path):
    """0011 adds each article's section token to SQLite's facets column
    (the string facet_tokens() makes); its downgrade takes them out again."""
    from alembic import command
    from sqlalchemy import create_engine

    from akhbar.search import SearchQuery
    from akhbar.search.index import facet_tokens
    from akhbar.storage.migrate import alembic_config

    arts = ((1, 1, "politics"), (2, 2, "health"), (3, 1, None), (4, 2, ""))
    url = _old_store(tmp_path / "old.db", "0010", arts, facets=facet_tokens)
    store = open_storage(url)  # upgrades to head
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT rowid, body, facets FROM article_search ORDER BY rowid").all()
    assert [tuple(r) for r in rows] == [(i, f"body{i}", facet_tokens(sid, sec)) for i, sid, sec in arts]
    assert [h.article.id for h in store.search(SearchQuery(text="حكومة", section="health")).hits] == [2]
    assert [h.article.id for h in store.search(SearchQuery(text="حكومة", section="politics", source_id=1)).hits] == [1]
    store.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT rowid, facets FROM article_search ORDER BY rowid").all()
    assert [tuple(r) for r in rows] == [(i, facet_tokens(sid)) for i, sid, _ in arts]
    engine.dispose()
