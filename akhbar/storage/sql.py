"""SQLAlchemy Core implementation of Storage, for SQLite and PostgreSQL.

The two backends share every query; they differ in connection set-up and
in their INSERT .. ON CONFLICT dialect, which the subclasses provide.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import and_, bindparam, case, create_engine, event, func, select, text, tuple_
from sqlalchemy.engine import Engine

from akhbar.models import Article, Source
from akhbar.search.index import IndexDoc, index_doc, section_facet, source_facet
from akhbar.search.query import SearchHit, SearchPage, SearchQuery
from akhbar.storage import schema as s
from akhbar.storage.base import Page, PollResult, Storage, StoryRecord, Tag, TrendingTag
from akhbar.storage.migrate import upgrade

log = logging.getLogger(__name__)
_WATCH_LOCK = threading.Lock()  # installs each store's write counter once

_SOURCE_FIELDS = [c.name for c in s.sources.columns if c.name != "created_at"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def encode_cursor(published: datetime, article_id: int) -> str:
    raw = f"{published.astimezone(timezone.utc).isoformat()}|{article_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raise ValueError on anything that is not one of our cursors."""
    try:
        pad = "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(cursor + pad).decode()
        when, _, ident = raw.partition("|")
        dt = datetime.fromisoformat(when)
        if dt.tzinfo is None:
            raise ValueError("naive")
        return dt, int(ident)
    except Exception as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc


class SQLStorage(Storage):
    dialect_insert = None  # set by subclasses

    def __init__(self, engine: Engine):
        self.engine = engine
        self._stmts: dict[str, object] = {}

    def _q(self, name: str, build):
        """A statement of the ingest path, built once with bind parameters:
        building SQLAlchemy statements per call cost more CPU than SQLite
        spent running them (about half of ``save_article``)."""
        q = self._stmts.get(name)
        if q is None:
            q = self._stmts[name] = build()
        return q

    # -- lifecycle -----------------------------------------------------
    def migrate(self) -> None:
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- sources -------------------------------------------------------
    @staticmethod
    def _source(row) -> Source:
        m = row._mapping
        return Source(**{k: m[k] for k in _SOURCE_FIELDS})

    def add_source(self, source: Source) -> Source:
        values = {k: getattr(source, k) for k in ("url", "name", "lang", "country", "homepage", "section")}
        values["name"] = values["name"] or source.url
        values.update(status=source.status or "active", error_count=0, created_at=_now())
        with self.engine.begin() as conn:
            conn.execute(self.dialect_insert(s.sources).values(**values).on_conflict_do_nothing())
            row = conn.execute(select(s.sources).where(s.sources.c.url == source.url)).one()
        return self._source(row)

    def get_source(self, source_id: int) -> Source | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s.sources).where(s.sources.c.id == source_id)).first()
        return self._source(row) if row else None

    def get_source_by_url(self, url: str) -> Source | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s.sources).where(s.sources.c.url == url)).first()
        return self._source(row) if row else None

    def list_sources(self, status: str | None = None, *, counts: bool = True) -> list[Source]:
        """Sources by id, with their article counts unless *counts* is False
        (counting reads the whole articles index: 40-100 ms at 1M articles)."""
        q = select(s.sources).order_by(s.sources.c.id)
        if status:
            q = q.where(s.sources.c.status == status)
        with self.engine.connect() as conn:
            sources = [self._source(r) for r in conn.execute(q)]
        if counts:
            n = self.article_counts()
            for src in sources:
                src.article_count = n.get(src.id, 0)
        return sources

    def article_counts(self) -> dict[int, int]:
        q = select(s.articles.c.source_id, func.count()).group_by(s.articles.c.source_id)
        with self.engine.connect() as conn:
            return {sid: n for sid, n in conn.execute(q)}

    def set_source_status(self, source_id: int, status: str) -> bool:
        if status not in ("active", "paused"):
            raise ValueError(f"unknown status {status!r}")
        with self.engine.begin() as conn:
            res = conn.execute(s.sources.update().where(s.sources.c.id == source_id).values(status=status))
        return res.rowcount > 0

    def remove_source(self, source_id: int) -> bool:
        with self.engine.begin() as conn:
            ids = select(s.articles.c.id).where(s.articles.c.source_id == source_id)
            self._unindex_source(conn, source_id)
            conn.execute(s.article_tags.delete().where(s.article_tags.c.article_id.in_(ids)))
            conn.execute(s.articles.delete().where(s.articles.c.source_id == source_id))
            res = conn.execute(s.sources.delete().where(s.sources.c.id == source_id))
        return res.rowcount > 0

    def record_poll(self, source_id: int, result: PollResult) -> None:
        # Built once (with bind parameters): per call, building the UPDATE cost
        # more CPU than SQLite spent running it (scripts/bench.py, section poll).
        c = s.sources.c

        def update(**values):
            return s.sources.update().where(c.id == bindparam("sid")).values(
                last_polled_at=bindparam("now", type_=c.last_polled_at.type),
                last_status=bindparam("p_status", type_=c.last_status.type),
                next_poll_at=bindparam("next", type_=c.next_poll_at.type), **values)

        params = dict(sid=source_id, now=_now(), p_status=result.status, next=result.next_poll_at)
        if result.ok:
            stmt = self._q("poll_ok", lambda: update(
                last_ok_at=bindparam("now", type_=c.last_ok_at.type), last_error=None, error_count=0,
                # keep validators from a 304 answer that omitted them
                etag=func.coalesce(bindparam("etag", type_=c.etag.type), c.etag),
                last_modified=func.coalesce(bindparam("lm", type_=c.last_modified.type), c.last_modified)))
            params.update(etag=result.etag, lm=result.last_modified)
        else:
            stmt = self._q("poll_failed", lambda: update(
                last_error=bindparam("p_error", type_=c.last_error.type), error_count=c.error_count + 1))
            params.update(p_error=result.error)
        with self.engine.begin() as conn:
            conn.execute(stmt, params)

    # -- articles ------------------------------------------------------
    def known_articles(self, source_id: int, url_keys: Iterable[str], guids: Iterable[str]) -> set[str]:
        url_keys, guids = list(url_keys), [g for g in guids if g]
        known: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(url_keys), 500):
                chunk = url_keys[i : i + 500]
                known.update(conn.scalars(select(s.articles.c.url_key).where(s.articles.c.url_key.in_(chunk))))
            for i in range(0, len(guids), 500):
                chunk = guids[i : i + 500]
                known.update(
                    conn.scalars(
                        select(s.articles.c.guid).where(
                            and_(s.articles.c.source_id == source_id, s.articles.c.guid.in_(chunk))
                        )
                    )
                )
        return known

    def save_article(self, article: Article) -> tuple[int, bool]:
        if article.source_id is None:
            raise ValueError("article has no source_id")
        now = _now()
        values = dict(
            source_id=article.source_id,
            guid=article.guid,
            url=article.url,
            url_key=article.url_key,
            canonical_url=article.canonical_url,
            title=article.title,
            author=article.author,
            summary=article.summary or "",
            text=article.text or "",
            html=article.html or "",
            image=article.image,
            published_at=article.published or now,
            fetched_at=article.fetched or now,
            lang=article.lang,
            section=article.section,
            content_hash=article.content_hash or "",
            extracted=bool(article.extracted),
        )
        # One transaction: the article and its tags land together or not at all.
        with self.engine.begin() as conn:
            stmt = self._q("article", lambda: self.dialect_insert(s.articles).on_conflict_do_nothing()
                           .returning(s.articles.c.id))
            new_id = conn.execute(stmt, values).scalar()
            if new_id is None:
                cond = s.articles.c.url_key == article.url_key
                if article.guid:
                    cond = cond | and_(
                        s.articles.c.source_id == article.source_id, s.articles.c.guid == article.guid
                    )
                existing = conn.execute(select(s.articles.c.id).where(cond).limit(1)).scalar()
                return existing, False
            self._attach_tags(conn, new_id, values["published_at"], article.tags, article.tag_kinds,
                              article.tag_aliases, article.tag_surnames)
            source_name = conn.execute(
                self._q("source_name", lambda: select(s.sources.c.name).where(s.sources.c.id == bindparam("sid"))),
                {"sid": article.source_id},
            ).scalar()
            self._index(conn, new_id, index_doc(article.title, article.text, article.tags, source_name, article.lang,
                                                article.source_id, article.section))
        return new_id, True

    # -- tag identity ---------------------------------------------------
    # Every article_tags row points at a canonical tag; an alias is a tags
    # row whose canonical_id names the tag its spellings are filed under.
    # Merging re-points the alias's articles, so a hashtag page stays one
    # index range scan however many spellings it has.

    def _tag_row(self, conn, name: str, kind: str | None = None, surname: str | None = None):
        """The tags row of *name* (by key), created if new; (row, created)."""
        from akhbar.hashtags.canon import script_of, translit_keys
        from akhbar.text.hashtags import hashtag_key

        key = hashtag_key(name)
        if not key:
            return None, False
        t = s.tags
        by_key = self._q("tag_by_key", lambda: select(t).where(t.c.key == bindparam("key")))
        row = conn.execute(by_key, {"key": key}).first()
        if row is not None:
            fix = {}
            if kind and kind != "topic" and row.kind in (None, "topic", "MISC") and kind != row.kind:
                fix["kind"] = kind
            if surname and not row.surname:
                fix["surname"] = translit_keys(surname)[0][:64] or None
            if fix:
                conn.execute(t.update().where(t.c.id == row.id).values(**fix))
                row = conn.execute(select(t).where(t.c.id == row.id)).first()
            return row, False
        kept, dropped = translit_keys(name)
        res = conn.execute(
            self._q("tag_insert", lambda: self.dialect_insert(t).on_conflict_do_nothing()),
            dict(name=name, key=key, created_at=_now(), kind=kind, script=script_of(name),
                 translit=kept[:64] or None, translit_alt=dropped[:64] or None,
                 surname=(translit_keys(surname)[0][:64] or None) if surname else None),
        )
        row = conn.execute(by_key, {"key": key}).first()
        return row, bool(res.rowcount)

    def _root(self, conn, tag_id: int) -> int:
        t = s.tags
        seen = set()
        while tag_id not in seen:
            seen.add(tag_id)
            nxt = conn.execute(select(t.c.canonical_id).where(t.c.id == tag_id)).scalar()
            if nxt is None:
                return tag_id
            tag_id = nxt
        return tag_id  # a cycle (never written by us): stop where it closes

    def _merge(self, conn, alias_id: int, canon_id: int, origin: str) -> int:
        """File *alias_id* (and its aliases and articles) under *canon_id*."""
        t, at = s.tags, s.article_tags
        canon_id = self._root(conn, canon_id)
        if canon_id == alias_id:
            return canon_id
        if self._root(conn, alias_id) == canon_id:
            return canon_id
        conn.execute(t.update().where(t.c.canonical_id == alias_id).values(canonical_id=canon_id))
        conn.execute(t.update().where(t.c.id == alias_id).values(canonical_id=canon_id, origin=origin))
        moved = select(at.c.article_id, text(str(int(canon_id))), at.c.published_at, at.c.position).where(
            at.c.tag_id == alias_id,
            ~at.c.article_id.in_(select(at.c.article_id).where(at.c.tag_id == canon_id)),
        )
        conn.execute(at.insert().from_select(["article_id", "tag_id", "published_at", "position"], moved))
        conn.execute(at.delete().where(at.c.tag_id == alias_id))
        return canon_id

    def _link_by_name(self, conn, alias: str, canonical: str, origin: str) -> int | None:
        from akhbar.hashtags.canon import script_of

        a, _ = self._tag_row(conn, alias)
        c, _ = self._tag_row(conn, canonical)
        if a is None or c is None:
            return None
        if origin != "admin":
            # automatic evidence never overrides an admin's decision, and an
            # Arabic spelling stays the canonical one
            if a.origin == "admin" or c.origin == "admin":
                return self._root(conn, c.id)
            if script_of(alias) == "ar" and script_of(canonical) != "ar":
                a, c = c, a
        return self._merge(conn, a.id, c.id, origin)

    def _cross_script(self, conn, row, context: set[int]) -> int | None:
        """A canonical tag in the other script with the same consonant
        skeleton, trusted when long or when it shares a co-occurring tag with
        this article (evidence that both name the same thing)."""
        from akhbar.hashtags.canon import MIN_TRANSLIT_LEN, STRONG_TRANSLIT_LEN

        keys = {k for k in (row.translit, row.translit_alt) if k and len(k) >= MIN_TRANSLIT_LEN}
        if not keys or row.script not in ("ar", "latn"):
            return None
        t, at = s.tags, s.article_tags
        cols = (t.c.id, t.c.translit, t.c.translit_alt, t.c.kind, t.c.surname)
        by_translit = self._q("tag_by_translit", lambda: (
            select(*cols)
            .where(t.c.canonical_id.is_(None), t.c.id != bindparam("id"), t.c.script.in_(["ar", "latn"]),
                   t.c.script != bindparam("script"),
                   t.c.translit.in_(bindparam("keys", expanding=True))
                   | t.c.translit_alt.in_(bindparam("keys", expanding=True)))
            .order_by(t.c.id)
            .limit(5)))
        params = {"id": row.id, "script": row.script, "keys": sorted(keys)}
        cands = conn.execute(by_translit, params).all()
        if row.surname is None and row.kind in ("PERS", "MISC", None):
            # a surname alone ("Boukadoum", "بوقادوم") may be a known full name
            # ("صبري بوقادوم"): only ever with shared context, never alone
            by_surname = self._q("tag_by_surname", lambda: (
                select(*cols)
                .where(t.c.canonical_id.is_(None), t.c.id != bindparam("id"), t.c.kind == "PERS",
                       t.c.surname.in_(bindparam("keys", expanding=True)))
                .order_by(t.c.id).limit(5)))
            more = conn.execute(by_surname, params).all()
            cands = list(cands) + [c for c in more if c.id not in {x.id for x in cands}]
        for c in cands:
            if row.kind and c.kind and "topic" not in (row.kind, c.kind) and "MISC" not in (row.kind, c.kind) \
                    and row.kind != c.kind:
                continue
            shared = {c.translit, c.translit_alt} & keys
            if shared and any(len(k) >= STRONG_TRANSLIT_LEN for k in shared):
                return c.id
            if context:
                recent = select(at.c.article_id).where(at.c.tag_id == c.id).order_by(
                    at.c.published_at.desc()).limit(200).scalar_subquery()
                hit = conn.execute(
                    select(at.c.tag_id).where(at.c.article_id.in_(recent), at.c.tag_id.in_(context)).limit(1)
                ).first()
                if hit is not None:
                    return c.id
        return None

    def _attach_tags(self, conn, article_id: int, published: datetime, names: list[str],
                     kinds: dict | None = None, aliases: Iterable = (), surnames: dict | None = None) -> None:
        from akhbar.hashtags.canon import cldr_canonical

        kinds, surnames = kinds or {}, surnames or {}
        for alias, canonical in aliases or ():
            self._link_by_name(conn, alias, canonical, "gloss")
        rows = []
        for name in names or ():
            row, created = self._tag_row(conn, name, kinds.get(name), surnames.get(name))
            if row is None:
                continue
            if created:
                country = cldr_canonical(name)
                if country and self._tag_row(conn, country)[0].id != row.id:
                    self._link_by_name(conn, name, country, "cldr")
                    row = conn.execute(select(s.tags).where(s.tags.c.id == row.id)).first()
            rows.append((row, created))
        canon: list[int] = []
        for row, created in rows:
            # aliases point straight at their canonical tag (merges re-point
            # chains), so one hop is enough for a row just read
            cid = row.canonical_id if row.canonical_id is not None else row.id
            # a canonical tag looks for its other-script spelling when it is
            # new, and a Latin one keeps looking until it finds an Arabic home
            if row.canonical_id is None and (created or row.script == "latn"):
                context = {r.canonical_id or r.id for r, _ in rows if r.id != row.id}
                other = self._cross_script(conn, row, context)
                if other is not None:
                    other_name = conn.execute(select(s.tags.c.name).where(s.tags.c.id == other)).scalar()
                    cid = self._link_by_name(conn, row.name, other_name, "translit")
            if cid not in canon:
                canon.append(cid)
        ids = list(dict.fromkeys(canon))
        if ids:
            conn.execute(
                self._q("article_tags", lambda: self.dialect_insert(s.article_tags).on_conflict_do_nothing()),
                [dict(article_id=article_id, tag_id=t, published_at=published, position=i) for i, t in enumerate(ids)],
            )

    def _article_query(self):
        return (
            select(
                s.articles,
                s.sources.c.name.label("source_name"),
                s.stories.c.source_count.label("story_sources"),
            )
            .join(s.sources, s.sources.c.id == s.articles.c.source_id)
            .outerjoin(s.stories, s.stories.c.id == s.articles.c.story_id)
        )

    def _articles_from_rows(self, conn, rows) -> list[Article]:
        out = []
        for r in rows:
            m = r._mapping
            out.append(
                Article(
                    id=m["id"],
                    url=m["url"],
                    url_key=m["url_key"],
                    title=m["title"],
                    source_id=m["source_id"],
                    guid=m["guid"],
                    canonical_url=m["canonical_url"],
                    author=m["author"],
                    summary=m["summary"],
                    text=m["text"],
                    html=m["html"],
                    image=m["image"],
                    published=m["published_at"],
                    fetched=m["fetched_at"],
                    lang=m["lang"],
                    section=m["section"],
                    content_hash=m["content_hash"],
                    extracted=m["extracted"],
                    source_name=m["source_name"],
                    story_id=m["story_id"],
                    story_sources=m["story_sources"] or 0,
                    duplicate_of=m["duplicate_of"],
                )
            )
        if out:
            tag_rows = conn.execute(
                select(s.article_tags.c.article_id, s.tags.c.name)
                .join(s.tags, s.tags.c.id == s.article_tags.c.tag_id)
                .where(s.article_tags.c.article_id.in_([a.id for a in out]))
                .order_by(s.article_tags.c.article_id, s.article_tags.c.position, s.tags.c.id)
            )
            by_id = {a.id: a for a in out}
            for aid, name in tag_rows:
                by_id[aid].tags.append(name)
        return out

    def get_article(self, article_id: int) -> Article | None:
        with self.engine.connect() as conn:
            rows = conn.execute(self._article_query().where(s.articles.c.id == article_id)).all()
            found = self._articles_from_rows(conn, rows)
        return found[0] if found else None

    def list_articles(
        self,
        *,
        limit: int = 20,
        cursor: str | None = None,
        source_id: int | None = None,
        tag_key: str | None = None,
        section: str | None = None,
    ) -> Page:
        limit = max(1, min(int(limit), 100))
        a = s.articles
        if tag_key is not None:
            # Walk the tag's own (tag_id, published_at, article_id) index.
            at = s.article_tags
            tag_id = select(func.coalesce(s.tags.c.canonical_id, s.tags.c.id)).where(
                s.tags.c.key == tag_key).scalar_subquery()
            order_cols = (at.c.published_at, at.c.article_id)
            q = self._article_query().join(at, at.c.article_id == a.c.id).where(at.c.tag_id == tag_id)
        else:
            order_cols = (a.c.published_at, a.c.id)
            q = self._article_query()
        if source_id is not None:
            q = q.where(a.c.source_id == source_id)
        if section is not None:
            q = q.where(a.c.section == section)
        if cursor:
            when, ident = decode_cursor(cursor)
            q = q.where(tuple_(*order_cols) < tuple_(when.replace(tzinfo=None), ident))
        q = q.order_by(order_cols[0].desc(), order_cols[1].desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            items = self._articles_from_rows(conn, rows[:limit])
        nxt = encode_cursor(items[-1].published, items[-1].id) if len(rows) > limit else None
        return Page(items, nxt)

    def count_articles(self, source_id: int | None = None) -> int:
        q = select(func.count()).select_from(s.articles)
        if source_id is not None:
            q = q.where(s.articles.c.source_id == source_id)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    # -- tags ----------------------------------------------------------
    @staticmethod
    def _tag(r, count: int = 0) -> Tag:
        return Tag(r.id, r.name, r.key, count, r.kind)

    def get_tag(self, key: str, *, count: bool = True) -> Tag | None:
        """The tag stored under *key*; an alias carries its canonical tag."""
        t, at = s.tags, s.article_tags
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.key == key)).first()
            if not row:
                return None
            root = self._root(conn, row.id)
            canon_row = row if root == row.id else conn.execute(select(t).where(t.c.id == root)).first()
            n = conn.execute(select(func.count()).select_from(at).where(at.c.tag_id == root)).scalar_one() if count else 0
        canon = self._tag(canon_row, n)
        if root == row.id:
            return canon
        tag = self._tag(row, n)
        tag.canonical = canon
        return tag

    def resolve_tag(self, name: str, *, count: bool = True) -> Tag | None:
        from akhbar.hashtags.canon import cldr_canonical
        from akhbar.text.hashtags import hashtag_key

        tag = self.get_tag(hashtag_key(name), count=count)
        if tag is None:
            country = cldr_canonical(name)
            if country:
                tag = self.get_tag(hashtag_key(country), count=count)
        if tag is None:
            return None
        return tag.canonical or tag

    def tag_aliases(self, tag_id: int) -> list[Tag]:
        t = s.tags
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.canonical_id == tag_id).order_by(t.c.id)).all()
        return [self._tag(r) for r in rows]

    def set_alias(self, alias: str, canonical: str, origin: str = "admin") -> Tag:
        from akhbar.text.hashtags import hashtag_key

        if hashtag_key(alias) == hashtag_key(canonical):
            raise ValueError("a hashtag cannot be an alias of itself")
        with self.engine.begin() as conn:
            a, _ = self._tag_row(conn, alias)
            c, _ = self._tag_row(conn, canonical)
            if a is None or c is None:
                raise ValueError("not a usable hashtag")
            if self._root(conn, c.id) == a.id:
                # the canonical-to-be is an alias of the alias: swap roles
                conn.execute(s.tags.update().where(s.tags.c.id == c.id).values(canonical_id=None, origin=None))
                self._merge(conn, a.id, c.id, origin)
            else:
                self._merge(conn, a.id, c.id, origin)
        return self.resolve_tag(canonical)

    def unset_alias(self, alias: str) -> bool:
        from akhbar.text.hashtags import hashtag_key

        t = s.tags
        with self.engine.begin() as conn:
            res = conn.execute(
                t.update().where(t.c.key == hashtag_key(alias), t.c.canonical_id.is_not(None))
                .values(canonical_id=None, origin="admin")
            )
        return bool(res.rowcount)

    def top_tags(self, limit: int = 20, since: datetime | None = None) -> list[Tag]:
        at = s.article_tags
        q = (
            select(s.tags.c.id, s.tags.c.name, s.tags.c.key, s.tags.c.kind, func.count().label("n"))
            .join(at, at.c.tag_id == s.tags.c.id)
            .group_by(s.tags.c.id, s.tags.c.name, s.tags.c.key, s.tags.c.kind)
            .order_by(func.count().desc(), s.tags.c.id)
            .limit(limit)
        )
        if since is not None:
            q = q.where(at.c.published_at >= since.astimezone(timezone.utc).replace(tzinfo=None))
        with self.engine.connect() as conn:
            return [self._tag(r, r.n) for r in conn.execute(q)]

    RELATED_SAMPLE = 300  # the tag's newest articles that related tags are counted in

    def related_tags(self, tag_id: int, limit: int = 10) -> list[Tag]:
        t, at = s.tags, s.article_tags
        recent = (
            select(at.c.article_id).where(at.c.tag_id == tag_id)
            .order_by(at.c.published_at.desc()).limit(self.RELATED_SAMPLE).scalar_subquery()
        )
        q = (
            select(t.c.id, t.c.name, t.c.key, t.c.kind, func.count().label("n"))
            .join(at, at.c.tag_id == t.c.id)
            .where(at.c.article_id.in_(recent), at.c.tag_id != tag_id)
            .group_by(t.c.id, t.c.name, t.c.key, t.c.kind)
            .having(func.count() >= 2)
            .order_by(func.count().desc(), t.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [self._tag(r, r.n) for r in conn.execute(q)]

    def trending_tags(self, *, now: datetime | None = None, hours: float = 6.0, baseline_days: float = 7.0,
                      min_sources: int = 2, min_articles: int = 3, limit: int = 10) -> list[TrendingTag]:
        from datetime import timedelta

        from akhbar.hashtags.trending import burst, is_trending

        t, at, a = s.tags, s.article_tags, s.articles
        now = (now or _now()).astimezone(timezone.utc)
        with self.engine.connect() as conn:
            # a quiet store (or a replayed archive) trends as of its newest news
            newest = conn.execute(select(func.max(at.c.published_at))).scalar()
            if newest is None:
                return []
            newest = newest.replace(tzinfo=timezone.utc) if newest.tzinfo is None else newest
            anchor = min(now, newest + timedelta(minutes=1))
            wstart = anchor - timedelta(hours=hours)
            bstart = wstart - timedelta(days=baseline_days)
            naive = lambda d: d.astimezone(timezone.utc).replace(tzinfo=None)  # noqa: E731
            in_window = at.c.published_at >= naive(wstart)
            q = (
                select(
                    at.c.tag_id,
                    func.sum(case((in_window, 1), else_=0)).label("recent"),
                    func.count().label("total"),
                    func.count(func.distinct(case((in_window, a.c.source_id), else_=None))).label("sources"),
                )
                .join(a, a.c.id == at.c.article_id)
                .where(at.c.published_at >= naive(bstart), at.c.published_at <= naive(anchor))
                .group_by(at.c.tag_id)
                .having(func.sum(case((in_window, 1), else_=0)) >= min_articles)
            )
            found = []
            for r in conn.execute(q):
                recent, baseline = int(r.recent), int(r.total) - int(r.recent)
                expected, score = burst(recent, baseline, hours, baseline_days * 24)
                if is_trending(recent, int(r.sources), expected, min_articles=min_articles, min_sources=min_sources):
                    found.append((score, r.tag_id, recent, int(r.sources), expected))
            found.sort(key=lambda x: (-x[0], x[1]))
            found = found[:limit]
            rows = {r.id: r for r in conn.execute(select(t).where(t.c.id.in_([f[1] for f in found])))} if found else {}
        return [TrendingTag(self._tag(rows[i], n), n, src, exp, sc) for sc, i, n, src, exp in found if i in rows]

    # -- stories ---------------------------------------------------------
    @staticmethod
    def _story(r) -> StoryRecord:
        return StoryRecord(r.id, r.key, r.headline, r.summary, r.first_published, r.last_published,
                           r.article_count, r.source_count, [x for x in (r.langs or "").split(",") if x],
                           r.merged_into)

    def _story_id(self, conn, key: str, when: datetime) -> int:
        st = s.stories
        existing = self._q("story_by_key", lambda: select(st.c.id).where(st.c.key == bindparam("key")))
        sid = conn.execute(existing, {"key": key}).scalar()
        if sid is not None:
            return sid
        conn.execute(
            self._q("story_insert", lambda: self.dialect_insert(st).on_conflict_do_nothing()),
            dict(key=key, first_published=when, last_published=when, updated_at=_now()),
        )
        return conn.execute(existing, {"key": key}).scalar_one()

    def _refresh_story(self, conn, story_id: int) -> None:
        a, st = s.articles, s.stories
        agg = conn.execute(
            self._q("story_agg", lambda: select(
                func.count(), func.count(func.distinct(a.c.source_id)), func.min(a.c.published_at),
                func.max(a.c.published_at)).where(a.c.story_id == bindparam("sid"))),
            {"sid": story_id},
        ).one()
        langs = sorted(x for x in conn.scalars(
            self._q("story_langs", lambda: select(a.c.lang).where(a.c.story_id == bindparam("sid")).distinct()),
            {"sid": story_id}) if x)
        values = dict(article_count=agg[0], source_count=agg[1], langs=",".join(langs)[:32], updated_at=_now())
        if agg[2] is not None:
            values.update(first_published=agg[2], last_published=agg[3])
        conn.execute(st.update().where(st.c.id == story_id).values(**values))

    def assign_story(self, article_id: int, key: str, *, duplicate_of: int | None = None, state: bytes | None = None,
                     merged: Iterable[str] = (), headline: str | None = None, summary: str | None = None) -> int:
        a, st = s.articles, s.stories
        with self.engine.begin() as conn:
            when = conn.execute(
                self._q("published_of", lambda: select(a.c.published_at).where(a.c.id == bindparam("aid"))),
                {"aid": article_id},
            ).scalar()
            if when is None:
                raise KeyError(f"no article {article_id}")
            sid = self._story_id(conn, key, when)
            for old_key in merged or ():
                old = conn.execute(select(st.c.id).where(st.c.key == old_key)).scalar()
                if old is not None and old != sid:
                    # the older story's id survives; the merged one redirects to it
                    conn.execute(a.update().where(a.c.story_id == old).values(story_id=sid))
                    conn.execute(st.update().where(st.c.merged_into == old).values(merged_into=sid))
                    conn.execute(st.update().where(st.c.id == old).values(merged_into=sid, article_count=0,
                                                                         source_count=0, updated_at=_now()))
            conn.execute(
                self._q("article_story", lambda: a.update().where(a.c.id == bindparam("aid"))
                        .values(story_id=bindparam("sid"), duplicate_of=bindparam("dup"))),
                {"aid": article_id, "sid": sid, "dup": duplicate_of},
            )
            if state is not None:
                conn.execute(self._q("state_insert", lambda: self.dialect_insert(s.article_states).on_conflict_do_nothing()),
                             {"article_id": article_id, "state": state})
            self._refresh_story(conn, sid)
            fix = {k: v for k, v in (("headline", headline), ("summary", summary)) if v}
            if fix:
                conn.execute(st.update().where(st.c.id == sid).values(**fix))
        return sid

    def get_story(self, story_id: int) -> StoryRecord | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(s.stories).where(s.stories.c.id == story_id)).first()
        return self._story(r) if r else None

    def story_articles(self, story_id: int, limit: int = 500) -> list[Article]:
        a = s.articles
        q = self._article_query().where(a.c.story_id == story_id).order_by(a.c.published_at, a.c.id).limit(limit)
        with self.engine.connect() as conn:
            return self._articles_from_rows(conn, conn.execute(q).all())

    def top_stories(self, *, limit: int = 10, now: datetime | None = None, hours: float = 48.0,
                    min_sources: int = 2) -> list[StoryRecord]:
        from datetime import timedelta

        st = s.stories
        now = (now or _now()).astimezone(timezone.utc)
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(st.c.last_published))).scalar()
            if newest is None:
                return []
            newest = newest.replace(tzinfo=timezone.utc) if newest.tzinfo is None else newest
            anchor = min(now, newest)
            since = (anchor - timedelta(hours=hours)).replace(tzinfo=None)
            # ranked on three columns; only the winners' rows are read whole
            rows = conn.execute(
                select(st.c.id, st.c.last_published, st.c.source_count)
                .where(st.c.last_published >= since, st.c.source_count >= min_sources,
                       st.c.merged_into.is_(None)).order_by(st.c.last_published.desc()).limit(2000)
            ).all()

            def rank(r):
                last = r.last_published.replace(tzinfo=timezone.utc) if r.last_published.tzinfo is None else r.last_published
                age = max(0.0, (anchor - last).total_seconds() / 3600)
                # breadth of coverage first, decayed by age (half weight after ~7 h)
                return r.source_count / (1 + age / 12) ** 1.5
            rows.sort(key=lambda r: (-rank(r), -r.id))
            ids = [r.id for r in rows[:limit]]
            full = {r.id: r for r in conn.execute(select(st).where(st.c.id.in_(ids)))} if ids else {}
        return [self._story(full[i]) for i in ids]

    def list_stories(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        st = s.stories
        limit = max(1, min(int(limit), 100))
        q = select(st).where(st.c.merged_into.is_(None), st.c.article_count > 0)
        if cursor:
            when, ident = decode_cursor(cursor)
            q = q.where(tuple_(st.c.last_published, st.c.id) < tuple_(when.replace(tzinfo=None), ident))
        q = q.order_by(st.c.last_published.desc(), st.c.id.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        items = [self._story(r) for r in rows[:limit]]
        nxt = encode_cursor(items[-1].last_published, items[-1].id) if len(rows) > limit else None
        return Page(items, nxt)

    def ungrouped_articles(self, since: datetime, limit: int = 10_000) -> list[Article]:
        a = s.articles
        since = since.astimezone(timezone.utc).replace(tzinfo=None)
        # url_key breaks ties: the same articles come in the same order on
        # any store, so grouping them gives the same stories
        q = (self._article_query().where(a.c.story_id.is_(None), a.c.published_at >= since)
             .order_by(a.c.published_at, a.c.url_key).limit(limit))
        with self.engine.connect() as conn:
            return self._articles_from_rows(conn, conn.execute(q).all())

    # -- workers: leases, schedule, health ------------------------------
    def claim_due_sources(self, holder: str, lease_seconds: float, *, limit: int = 100,
                          now: datetime | None = None) -> list[Source]:
        from datetime import timedelta

        now = now or _now()
        until = now + timedelta(seconds=lease_seconds)
        src, lease = s.sources, s.source_leases
        due = and_(src.c.status == "active", (src.c.next_poll_at.is_(None)) | (src.c.next_poll_at <= now))
        with self.engine.begin() as conn:
            # every due source gets a lease row (expired) the first time
            missing = select(src.c.id, text("''"), text(":epoch")).where(
                due, ~select(lease.c.source_id).where(lease.c.source_id == src.c.id).exists())
            conn.execute(
                self.dialect_insert(lease).from_select(["source_id", "holder", "expires_at"], missing)
                .on_conflict_do_nothing(),
                {"epoch": datetime(1970, 1, 1)},
            )
            ids = conn.execute(
                select(src.c.id).join(lease, lease.c.source_id == src.c.id)
                .where(due, lease.c.expires_at <= now)
                .order_by(src.c.next_poll_at.is_not(None), src.c.next_poll_at, src.c.id).limit(limit)
            ).scalars().all()
        claimed = []
        for sid in ids:
            # the claim itself: one UPDATE per source, re-checked under the row lock
            with self.engine.begin() as conn:
                res = conn.execute(lease.update().where(lease.c.source_id == sid, lease.c.expires_at <= now)
                                   .values(holder=holder, expires_at=until))
            if res.rowcount == 1:
                claimed.append(sid)
        if not claimed:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(select(src).where(src.c.id.in_(claimed)).order_by(src.c.id)).all()
        return [self._source(r) for r in rows]

    def acquire_source_lease(self, source_id: int, holder: str, lease_seconds: float,
                             now: datetime | None = None) -> bool:
        from datetime import timedelta

        now = now or _now()
        lease = s.source_leases
        with self.engine.begin() as conn:
            if conn.execute(select(s.sources.c.id).where(s.sources.c.id == source_id)).first() is None:
                return False
            conn.execute(self.dialect_insert(lease).values(source_id=source_id, holder="",
                                                           expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc))
                         .on_conflict_do_nothing())
        with self.engine.begin() as conn:
            res = conn.execute(
                lease.update()
                .where(lease.c.source_id == source_id, (lease.c.expires_at <= now) | (lease.c.holder == holder))
                .values(holder=holder, expires_at=now + timedelta(seconds=lease_seconds))
            )
        return res.rowcount == 1

    def release_source_lease(self, source_id: int, holder: str) -> bool:
        lease = s.source_leases
        with self.engine.begin() as conn:
            res = conn.execute(lease.update().where(lease.c.source_id == source_id, lease.c.holder == holder)
                               .values(holder="", expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc)))
        return res.rowcount == 1

    def acquire_lock(self, name: str, holder: str, lease_seconds: float,
                     now: datetime | None = None) -> int | None:
        from datetime import timedelta

        now = now or _now()
        lk = s.locks
        until = now + timedelta(seconds=lease_seconds)
        with self.engine.begin() as conn:
            conn.execute(self.dialect_insert(lk).values(name=name, holder="", epoch=0,
                                                        expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc))
                         .on_conflict_do_nothing())
        with self.engine.begin() as conn:
            # renewal by the holder keeps the epoch; a new holder bumps it
            renewed = conn.execute(lk.update().where(lk.c.name == name, lk.c.holder == holder,
                                                     lk.c.expires_at > now).values(expires_at=until))
            if renewed.rowcount != 1:
                # (the same holder coming back after its lease ran out, with
                # nobody in between, keeps its epoch: its state is still good)
                taken = conn.execute(lk.update().where(lk.c.name == name, lk.c.expires_at <= now)
                                     .values(holder=holder, expires_at=until,
                                             epoch=case((lk.c.holder == holder, lk.c.epoch), else_=lk.c.epoch + 1)))
                if taken.rowcount != 1:
                    return None
            return conn.execute(select(lk.c.epoch).where(lk.c.name == name)).scalar_one()

    def release_lock(self, name: str, holder: str) -> bool:
        lk = s.locks
        with self.engine.begin() as conn:
            res = conn.execute(lk.update().where(lk.c.name == name, lk.c.holder == holder)
                               .values(holder="", expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc)))
        return res.rowcount == 1

    def recent_published(self, source_id: int, limit: int = 20) -> list[datetime]:
        a = s.articles
        q = self._q("recent_published", lambda: select(a.c.published_at).where(a.c.source_id == bindparam("sid"))
                    .order_by(a.c.published_at.desc(), a.c.id.desc()).limit(bindparam("n")))
        with self.engine.connect() as conn:
            return list(conn.execute(q, dict(sid=source_id, n=limit)).scalars())

    def count_fetched_since(self, since: datetime) -> int:
        a = s.articles
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(a).where(a.c.fetched_at >= since)).scalar() or 0

    def schema_revision(self) -> tuple[str | None, str]:
        from alembic.script import ScriptDirectory

        from akhbar.storage.migrate import alembic_config, current_revision

        head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
        return current_revision(self.engine), head

    def newest_published(self) -> datetime | None:
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(s.articles.c.published_at))).scalar()
        return newest

    def story_window(self, since: datetime) -> list[tuple]:
        a, st, ss = s.articles, s.stories, s.article_states
        since = since.astimezone(timezone.utc).replace(tzinfo=None)
        open_stories = select(st.c.id).where(st.c.last_published >= since)
        q = (
            self._article_query()
            .add_columns(ss.c.state, st.c.key.label("story_key"))
            .join(ss, ss.c.article_id == a.c.id)
            .where((a.c.published_at >= since) | a.c.story_id.in_(open_stories))
            .order_by(a.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            arts = self._articles_from_rows(conn, rows)
        return [(art, bytes(r.state), r.story_key) for art, r in zip(arts, rows)]

    # -- WebSub push subscriptions --------------------------------------
    @staticmethod
    def _websub(row):
        from dataclasses import fields

        from akhbar.models import WebSubSubscription

        m = row._mapping
        return WebSubSubscription(**{f.name: m[f.name] for f in fields(WebSubSubscription)})

    def websub_for_source(self, source_id: int):
        w = s.websub_subscriptions
        with self.engine.connect() as conn:
            row = conn.execute(select(w).where(w.c.source_id == source_id)).first()
        return self._websub(row) if row else None

    def websub_by_token(self, token: str):
        w = s.websub_subscriptions
        with self.engine.connect() as conn:
            row = conn.execute(select(w).where(w.c.token == token)).first()
        return self._websub(row) if row else None

    def put_websub(self, sub):
        w = s.websub_subscriptions
        now = _now()
        values = {c.name: getattr(sub, c.name) for c in w.columns if c.name not in ("id", "created_at", "updated_at")}
        values.update(created_at=sub.created_at or now, updated_at=now)
        ins = self.dialect_insert(w).values(**values)
        # one subscription per source: a new hub or topic replaces the old row whole
        replace = {k: ins.excluded[k] for k in values if k not in ("source_id", "created_at")}
        with self.engine.begin() as conn:
            conn.execute(ins.on_conflict_do_update(index_elements=["source_id"], set_=replace))
            row = conn.execute(select(w).where(w.c.source_id == sub.source_id)).one()
        return self._websub(row)

    def update_websub(self, token: str, *, states: Iterable[str] | None = None, **values) -> bool:
        w = s.websub_subscriptions
        unknown = set(values) - set(w.c.keys()) | ({"id", "source_id", "token"} & set(values))
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a WebSub subscription")
        q = w.update().where(w.c.token == token).values(**{"updated_at": _now(), **values})
        if states is not None:
            q = q.where(w.c.state.in_(list(states)))
        with self.engine.begin() as conn:
            return conn.execute(q).rowcount == 1

    def list_websub(self, state: str | None = None) -> list:
        w = s.websub_subscriptions
        q = select(w).order_by(w.c.source_id)
        if state:
            q = q.where(w.c.state == state)
        with self.engine.connect() as conn:
            return [self._websub(r) for r in conn.execute(q)]

    # -- change detection, for page caches (akhbar.web.pagecache) ---------
    # Tables whose rows pages show; leases, locks, engine states and the
    # search index are not among them.
    CONTENT_TABLES = frozenset({"articles", "article_tags", "tags", "stories", "sources"})

    def local_writes(self) -> int:
        return self._change_watch()["writes"]

    def content_version(self):
        """(newest article id; stories: newest id and last update; aliases:
        count and checksums; sources: count, ids, active ids, error counts,
        failing ids). Read only when the database's change marker moved
        (SQLite: PRAGMA data_version on a connection of its own; PostgreSQL:
        the transaction snapshot), so an idle store costs one O(1) query;
        otherwise two index reads for articles and stories (every story
        write sets updated_at, indexed), an index read of aliases and a scan
        of the sources table."""
        from sqlalchemy import BigInteger, cast

        watch = self._change_watch()
        with watch["lock"]:
            marker = self._change_marker(watch)  # before the state: a write after it moves it again
            if marker is not None and marker == watch["marker"]:
                return watch["version"]
            a, st, t, src = s.articles, s.stories, s.tags, s.sources
            failing = (src.c.error_count > 0) | src.c.last_error.is_not(None)
            queries = (
                select(func.max(a.c.id)),
                select(func.max(st.c.id), func.max(st.c.updated_at)),
                select(func.count(), func.sum(t.c.canonical_id), func.sum(cast(t.c.id, BigInteger) * t.c.canonical_id))
                .where(t.c.canonical_id.is_not(None)),
                select(func.count(), func.sum(src.c.id), func.sum(case((src.c.status == "active", src.c.id), else_=0)),
                       func.sum(src.c.error_count), func.sum(case((failing, src.c.id), else_=0))),
            )
            with self.engine.connect() as conn:
                version = tuple(tuple(conn.execute(q).one()) for q in queries)
            watch["marker"], watch["version"] = marker, version
            return version

    def _change_marker(self, watch: dict):
        """A value that moves whenever another connection commits a write; None
        when there is none to read (in-memory SQLite, other engines)."""
        name = self.engine.dialect.name
        try:
            if name == "postgresql":
                with self.engine.connect() as conn:
                    # xmax and the running transactions: a write transaction
                    # moves it when it starts and again when it ends
                    return conn.execute(text("SELECT txid_current_snapshot()::text")).scalar()
            if name == "sqlite":
                if watch.get("sqlite") is None:
                    import sqlite3

                    path = self.engine.url.database
                    if not path or path == ":memory:" or "mode=memory" in str(self.engine.url):
                        return None
                    # data_version is per connection and ignores that
                    # connection's own commits: one that never writes sees all
                    watch["sqlite"] = sqlite3.connect(path, check_same_thread=False, timeout=30)
                return watch["sqlite"].execute("PRAGMA data_version").fetchone()[0]
        except Exception:  # no marker: read the state itself
            log.debug("change marker unavailable", exc_info=True)
        return None

    def _change_watch(self) -> dict:
        """Counts this object's committed content writes (installed once, lazily)."""
        watch = self.__dict__.get("_watch")
        if watch is not None:
            return watch
        with _WATCH_LOCK:
            if "_watch" in self.__dict__:
                return self.__dict__["_watch"]
            watch = {"writes": 0, "lock": threading.Lock(), "marker": None, "version": None}
            tables = self.CONTENT_TABLES

            def wrote(conn, clause, *_args):
                table = getattr(clause, "table", None) if getattr(clause, "is_dml", False) else None
                if getattr(table, "name", None) in tables:
                    conn.info["akhbar_wrote"] = True

            def committed(conn):
                if conn.info.pop("akhbar_wrote", False):
                    conn.info["akhbar_committed"] = True

            def rolled_back(conn):
                conn.info.pop("akhbar_wrote", None)

            def checked_in(_dbapi_conn, record):
                # counted once the connection is back, i.e. after the commit
                # itself, so a reader never counts a write it cannot see yet
                if record is not None and record.info.pop("akhbar_committed", False):
                    watch["writes"] += 1

            event.listen(self.engine, "after_execute", wrote)
            event.listen(self.engine, "commit", committed)
            event.listen(self.engine, "rollback", rolled_back)
            event.listen(self.engine, "checkin", checked_in)
            self._watch = watch
        return watch

    # -- search ------------------------------------------------------
    RECENCY_WEIGHT = 0.5  # how much a fresh article outranks an old one
    RECENCY_HALF_DAYS = 3.0
    SEARCH_WINDOW = 1000  # matches ranked exactly; past it only the newest are
    # A filter that rejects most matches widens the window up to this many
    # newest matches, no further: the cost of one query stays bounded, and
    # what lies past it is the oldest news.
    SEARCH_WINDOW_MAX = 8_000

    def _index(self, conn, article_id: int, doc: IndexDoc) -> None:
        raise NotImplementedError

    def _unindex_source(self, conn, source_id: int) -> None:
        """Drop the search rows of a source's articles (PostgreSQL cascades)."""

    def _search_ids(self, conn, parsed, q: SearchQuery, now: datetime, limit: int,
                    title_only: bool = False) -> list[tuple[int, float]]:
        """The best *limit* (article id, score) pairs, best first; filters from *q*."""
        raise NotImplementedError

    def _filters(self, q: SearchQuery) -> tuple[str, dict]:
        """SQL conditions on articles `a` shared by both engines."""
        conds, params = [], {}
        if q.source_id is not None:
            conds.append("a.source_id = :source_id")
            params["source_id"] = q.source_id
        if q.section:
            conds.append("a.section = :section")
            params["section"] = q.section
        if q.lang:
            conds.append("a.lang = :lang")
            params["lang"] = q.lang
        if q.since:
            conds.append("a.published_at >= :since")
            params["since"] = q.since.astimezone(timezone.utc).replace(tzinfo=None)
        if q.until:
            conds.append("a.published_at < :until")
            params["until"] = q.until.astimezone(timezone.utc).replace(tzinfo=None)
        if q.tag_key:
            conds.append(
                "a.id IN (SELECT at.article_id FROM article_tags at JOIN tags t"
                " ON t.id = at.tag_id OR t.canonical_id = at.tag_id WHERE t.key = :tag_key)"
            )
            params["tag_key"] = q.tag_key
        return "".join(f" AND {c}" for c in conds), params

    def search(self, q: SearchQuery) -> SearchPage:
        from akhbar.search.highlight import highlight
        from akhbar.text.analyze import ParsedQuery, positive_terms, query_terms

        parsed = query_terms(q.text)
        terms = positive_terms(parsed)
        page = SearchPage(terms=sorted(terms))
        if not terms:
            return page
        want = q.offset + q.limit + 1  # one more than shown: is there a next page?
        now = _now()
        with self.engine.connect() as conn:
            ranked = self._search_ids(conn, parsed, q, now, want)
            if len(ranked) < want and len(parsed.groups) > 1:
                # Too few articles have every word. Readers misspell or add a
                # word and still expect the article: those whose *title* has
                # some of the words follow the complete matches, best first
                # (titles only: any-word matching over bodies is both noisy
                # and the costliest query there is).
                relaxed = ParsedQuery(groups=(tuple(p for g in parsed.groups for p in g),), excluded=parsed.excluded)
                seen = {i for i, _ in ranked}
                extra = [(i, sc) for i, sc in self._search_ids(conn, relaxed, q, now, want, title_only=True)
                         if i not in seen]
                ranked += extra[: want - len(ranked)]
            ranked = ranked[q.offset :]
            if not ranked:
                return page
            page.has_more = len(ranked) > q.limit
            ranked = ranked[: q.limit]
            rows = conn.execute(self._article_query().where(s.articles.c.id.in_([i for i, _ in ranked]))).all()
            by_id = {a.id: a for a in self._articles_from_rows(conn, rows)}
        for aid, score in ranked:
            art = by_id.get(aid)
            if art is not None:
                snippet = highlight(art.text or art.summary, terms, art.lang)
                page.hits.append(SearchHit(art, score, snippet))
        return page

    def reindex(self, batch: int = 500, progress=None) -> int:
        """Rebuild the search index from the stored articles."""
        done, last = 0, 0
        while True:
            with self.engine.begin() as conn:
                rows = self._articles_from_rows(
                    conn, conn.execute(self._article_query().where(s.articles.c.id > last).order_by(s.articles.c.id).limit(batch)).all()
                )
                if not rows:
                    return done
                for a in rows:
                    self._index(conn, a.id, index_doc(a.title, a.text, a.tags, a.source_name, a.lang, a.source_id,
                                                       a.section))
            last = rows[-1].id
            done += len(rows)
            if progress:
                progress(done)


class SQLiteStorage(SQLStorage):
    from sqlalchemy.dialects.sqlite import insert as dialect_insert

    dialect_insert = staticmethod(dialect_insert)

    def __init__(self, url: str):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets the web server read while the crawler writes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        super().__init__(engine)
        self._facet_shares: dict[str, tuple[float, float]] = {}  # token -> (share, when)

    # bm25 weights for (title, body, tags, source, facets): facet tokens
    # filter and never rank, so results are those of the plain filter
    BM25 = "bm25(article_search, 8.0, 1.0, 4.0, 2.0, 0.0)"

    def _index(self, conn, article_id: int, doc: IndexDoc) -> None:
        conn.exec_driver_sql("DELETE FROM article_search WHERE rowid = ?", (article_id,))
        conn.exec_driver_sql(
            "INSERT INTO article_search(rowid, title, body, tags, source, facets) VALUES (?, ?, ?, ?, ?, ?)",
            (article_id, doc.title, doc.body, doc.tags, doc.source, doc.facets),
        )

    def _unindex_source(self, conn, source_id: int) -> None:
        # FTS5 tables know no foreign keys
        conn.execute(
            text("DELETE FROM article_search WHERE rowid IN (SELECT id FROM articles WHERE source_id = :sid)"),
            {"sid": source_id},
        )

    # A facet filter pays a seek in its posting list per candidate match. For
    # a facet that holds a large share of the articles (the politics section)
    # filtering the newest matches afterwards is cheaper and mostly finds
    # enough; its posting list is intersected only when it did not.
    FACET_MAX_SHARE = 0.2
    FACET_SHARE_TTL = 600.0  # seconds: shares move slowly
    # From this many words on, a query is scored forwards at once (all its
    # matches, if they fit in the window) rather than counted first: at a
    # million articles a query of 4+ words exceeds the window about one
    # time in ten, and counting first cost more than the rare wasted pass.
    SCORE_AT_ONCE_GROUPS = 4

    def _facet_share(self, conn, token: str) -> float:
        """The share of indexed articles that hold *token* (fts5vocab reads
        its posting list: up to ~30 ms at a million), cached for a while."""
        now = time.monotonic()
        hit = self._facet_shares.get(token)
        if hit is not None and now - hit[1] < self.FACET_SHARE_TTL:
            return hit[0]
        docs = conn.exec_driver_sql("SELECT doc FROM article_search_vocab WHERE term = ?", (token,)).scalar() or 0
        total = conn.exec_driver_sql("SELECT max(rowid) FROM article_search").scalar() or 0
        share = docs / total if total else 0.0
        self._facet_shares[token] = (share, now)
        return share

    def _facet_filters(self, conn, q: SearchQuery) -> tuple[list[str], list[str]]:
        """The query's filters as facet tokens: those to intersect at once and
        those (large) to intersect only if filtering the newest matches left
        too few. Intersecting a small facet's posting list finds its newest
        matches directly, where filtering after the MATCH would widen and
        re-scan the window. (The SQL conditions stay, as a guard; a source is
        always a small share of a store worth speeding up.)"""
        first, later = [], []
        if q.source_id is not None:
            first.append(source_facet(q.source_id))
        if q.section:
            token = section_facet(q.section)
            (first if self._facet_share(conn, token) <= self.FACET_MAX_SHARE else later).append(token)
        return first, later

    @staticmethod
    def _with_facets(match: str, tokens: list[str]) -> str:
        if not tokens:
            return match
        # quoted like every phrase: a section comes from the request
        return f"({match}) AND {{facets}} : (" + " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens) + ")"

    def _search_ids(self, conn, parsed, q: SearchQuery, now: datetime, limit: int, title_only: bool = False):
        from akhbar.text.analyze import to_fts5_match

        words = to_fts5_match(parsed, "title" if title_only else None)
        if not words:
            return []
        tokens, later = self._facet_filters(conn, q)
        match = self._with_facets(words, tokens)
        where, params = self._filters(q)
        params.update(now=now.replace(tzinfo=None).isoformat(sep=" "), rw=self.RECENCY_WEIGHT,
                      half=self.RECENCY_HALF_DAYS, limit=limit)
        # bm25() is negative (lower is better); the recency factor (> 1 for
        # fresh articles) makes fresh matches more negative, i.e. better.
        score = f"c.rank * (1 + :rw / (1 + (julianday(:now) - julianday(a.published_at)) / :half))"
        ranked = (f"SELECT a.id, {score} AS score FROM c JOIN articles a INDEXED BY ix_articles_search_cover"
                  f" ON a.id = c.id WHERE 1=1{where} ORDER BY score, a.id DESC LIMIT :limit")  # ties: newest first
        window = self.SEARCH_WINDOW
        total = None  # how many articles match, once known
        over = False  # more than `window` articles match
        # A query of many words mostly matches fewer articles than the
        # window; those are scored at once, forwards (see below), instead of
        # being counted first, which walks the same posting lists twice.
        at_once = len(parsed.groups) >= self.SCORE_AT_ONCE_GROUPS
        while True:
            # (The articles' part is read from an index that holds it: the
            # rows' text and html would be read too.)
            rows = None
            if at_once:
                at_once = False
                # one row (id NULL) even when the filters keep none: the
                # count (of the matches scored, not of those kept) says
                # whether that is the answer
                first = conn.execute(text(
                    f"WITH c AS MATERIALIZED (SELECT rowid AS id, {self.BM25} AS rank FROM article_search"
                    f" WHERE article_search MATCH :match LIMIT :over) SELECT r.id, r.score, (SELECT count(*) FROM c)"
                    f" FROM (SELECT 1) LEFT JOIN ({ranked}) r ORDER BY r.score, r.id DESC"
                ), {**params, "match": match, "over": window + 1}).all()
                if first[0][2] <= window:
                    rows, total = [r for r in first if r[0] is not None], first[0][2]  # every match was scored
                else:
                    over = True  # too many: the newest are scored below
            if rows is None:
                if total is None and not over:
                    # FTS5 walks its posting lists backwards (the newest
                    # first, below) 3-4 times slower than forwards: a forward
                    # pass of at most window + 1 tells whether the
                    # newest-first walk is needed at all.
                    n = len(conn.execute(text("SELECT rowid FROM article_search WHERE article_search MATCH :match"
                                              " LIMIT :n"), {"match": match, "n": window + 1}).all())
                    total, over = (n, False) if n <= window else (None, True)
                # Scoring every match of a common word costs O(matches):
                # only the newest `window` matches (highest rowid: ingest
                # follows time) are scored, which is all of them for any
                # specific query. The window widens when filters leave too few.
                newest = "" if total is not None and total <= window else " ORDER BY rowid DESC LIMIT :window"
                rows = conn.execute(text(
                    f"WITH c AS (SELECT rowid AS id, {self.BM25} AS rank FROM article_search"
                    f" WHERE article_search MATCH :match{newest}) " + ranked
                ), {**params, "match": match, "window": window}).all()
            if len(rows) < limit and where:
                if later and (total is None or total > window):
                    # a large facet left too few of the newest matches (when
                    # every match was scored, the few are all there is)
                    tokens, later, total, over = tokens + later, [], None, False
                    match = self._with_facets(words, tokens)
                    continue
                if total is None:
                    total = conn.execute(
                        text("SELECT count(*) FROM article_search WHERE article_search MATCH :match"), {"match": match}
                    ).scalar()
                if total > window and window < self.SEARCH_WINDOW_MAX:
                    window *= 8
                    continue
            return [(r[0], -float(r[1])) for r in rows]


class PostgresStorage(SQLStorage):
    from sqlalchemy.dialects.postgresql import insert as dialect_insert

    dialect_insert = staticmethod(dialect_insert)

    def __init__(self, url: str):
        super().__init__(create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10))

    def _index(self, conn, article_id: int, doc: IndexDoc) -> None:
        # 'simple' config: the terms are already analysed by our own engine,
        # so both backends index the very same terms.
        conn.execute(
            text(
                "INSERT INTO article_search(article_id, vector) VALUES (:id,"
                " setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :tags), 'B')"
                " || setweight(to_tsvector('simple', :source), 'C') || setweight(to_tsvector('simple', :body), 'D'))"
                " ON CONFLICT (article_id) DO UPDATE SET vector = EXCLUDED.vector"
            ),
            dict(id=article_id, title=doc.title, tags=doc.tags, source=doc.source, body=doc.body),
        )

    def _search_ids(self, conn, parsed, q: SearchQuery, now: datetime, limit: int, title_only: bool = False):
        from akhbar.text.analyze import to_tsquery

        tsq = to_tsquery(parsed, "A" if title_only else "")
        if not tsq:
            return []
        where, params = self._filters(q)
        params.update(q=tsq, now=now.replace(tzinfo=None), rw=self.RECENCY_WEIGHT, half=self.RECENCY_HALF_DAYS,
                      limit=limit)
        # A source's newest matches, as SQLite's facet tokens give; a section
        # (often a large share) filters the newest matches afterwards, and
        # its own newest matches are asked for only when that left too few.
        in_source = " AND article_id IN (SELECT id FROM articles WHERE source_id = :source_id)"
        in_section = " AND article_id IN (SELECT id FROM articles WHERE section = :section)"
        in_filters = in_source if q.source_id is not None else ""
        later = bool(q.section)
        window = self.SEARCH_WINDOW
        total = None
        while True:
            # as on SQLite: only the newest `window` matches (of the source
            # and section, when asked for) are ranked
            sql = text(
                "SELECT a.id, ts_rank_cd(c.vector, to_tsquery('simple', :q), 1)"
                " * (1 + :rw / (1 + EXTRACT(EPOCH FROM (CAST(:now AS timestamp) - a.published_at)) / 86400.0 / :half)) AS score"
                f" FROM (SELECT article_id, vector FROM article_search WHERE vector @@ to_tsquery('simple', :q){in_filters}"
                " ORDER BY article_id DESC LIMIT :window) c JOIN articles a ON a.id = c.article_id"
                f" WHERE TRUE{where} ORDER BY score DESC, a.id DESC LIMIT :limit"
            )
            rows = conn.execute(sql, {**params, "window": window}).all()
            if len(rows) < limit and where:
                if later:
                    in_filters, later, total = in_filters + in_section, False, None
                    continue
                if total is None:
                    total = conn.execute(
                        text(f"SELECT count(*) FROM article_search WHERE vector @@ to_tsquery('simple', :q){in_filters}"),
                        {"q": tsq, "source_id": q.source_id, "section": q.section},
                    ).scalar()
                if total > window and window < self.SEARCH_WINDOW_MAX:
                    window *= 8
                    continue
            return [(r[0], float(r[1])) for r in rows]
