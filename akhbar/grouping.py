"""The group stage: file each stored article under its story.

Sits between storage and the story engine (akhbar.stories.engine): the
engine decides, storage keeps the decision (and the engine's per-article
state, so a restart rebuilds the moving window without recomputing
embeddings). One grouper per process; the engine serialises calls.

Several processes must not group at once (each would hold its own
window): with workers, grouping runs in one consumer under a database lock
(akhbar.workers.tasks.group_stories, docs/deploy.md).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

from akhbar.models import Article

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def story_doc(article: Article):
    from akhbar.stories.engine import StoryDoc

    return StoryDoc(
        id=str(article.id),
        date=article.published or article.fetched or datetime.now(timezone.utc),
        title=article.title,
        text=article.text or article.summary or "",
        source=article.source_name or str(article.source_id),
        lang=article.lang,
        url=article.canonical_url or article.url,
        guid=article.guid,
        content_hash=article.content_hash or None,
        # no hashtags: the engine's weights were fitted, and its figures
        # measured, on articles without them; fed to those weights they cost
        # Arabic dev pairwise F1 0.914 -> 0.804 (docs/benchmarks.md, stories)
        hashtags=None,
    )


class StoryGrouper:
    """Assigns stored articles to stories, restoring the engine's window from
    storage on first use.

    Two ways in: ``group(article)`` files one article as it is stored, and
    ``catch_up()`` files every stored article of the window that has no story
    yet, oldest first, in batches (the embedding is ~4x cheaper batched).
    The crawl and the worker-mode grouping consumer use ``catch_up``; it also
    files what a crash left ungrouped.
    """

    BATCH = 64

    def __init__(self, storage, *, config=None, embedder=None):
        self.storage = storage
        self._config = config
        self._embedder = embedder
        self._engine = None
        self._lock = threading.Lock()
        self._failed: set[int] = set()  # articles the engine refused, not retried by this process

    @property
    def engine(self):
        with self._lock:
            if self._engine is None:
                from akhbar.stories.engine import ClusterConfig, StoryEngine

                engine = StoryEngine(self._config or ClusterConfig(), embedder=self._embedder)
                self._restore(engine)
                self._engine = engine
            return self._engine

    def _horizon(self, engine) -> datetime | None:
        newest = self.storage.newest_published()
        if newest is None:
            return None
        cfg = engine.config
        return newest - timedelta(hours=max(cfg.window_hours, cfg.df_hours))

    def _restore(self, engine) -> None:
        since = self._horizon(engine)
        if since is None:
            return
        items = [(story_doc(a), state, key) for a, state, key in self.storage.story_window(since)]
        n = engine.restore(items)
        if n:
            log.info("stories: restored %d articles of the window", n)

    def _store(self, engine, article: Article, a) -> int:
        card = engine.card(a.story_id, "ar") or {}
        dup = int(a.duplicate_of) if a.duplicate_of and a.duplicate_of.isdigit() else None
        try:
            state = engine.doc_state(str(article.id))
        except KeyError:
            # a late article, older than the engine's window: filed, but not
            # held (nothing to restore it into)
            state = None
        return self.storage.assign_story(
            article.id, a.story_id, duplicate_of=dup, state=state, merged=a.merged,
            headline=card.get("headline"), summary=card.get("summary"),
        )

    def _file(self, engine, batch: list[Article]) -> int:
        """Add *batch* to the engine and store each decision; one article the
        engine refuses is logged and skipped, never the whole batch."""
        try:
            assignments = engine.add_many([story_doc(a) for a in batch])
        except Exception:
            if len(batch) == 1:
                raise
            return sum(1 for a in batch if self._try_one(engine, a))
        for art, a in zip(batch, assignments):
            self._store(engine, art, a)
        return len(batch)

    def _try_one(self, engine, article: Article) -> bool:
        try:
            if engine.story_of(str(article.id)) is not None:
                raise RuntimeError("the engine holds it but its decision was lost")
            return bool(self._file(engine, [article]))
        except Exception as exc:
            self._failed.add(article.id)
            log.warning("stories: article %s not grouped: %s: %s", article.id, type(exc).__name__, exc)
            return False

    def catch_up(self, *, limit: int | None = None, before_batch=None) -> int:
        """File the stored articles that have no story, oldest first; return how
        many. *before_batch* (if given) is called before each batch and may
        return False to stop (the grouping consumer renews its lock there)."""
        engine = None  # the window is restored only when there is something to file
        done = 0
        while limit is None or done < limit:
            want = self.BATCH if limit is None else min(self.BATCH, limit - done)
            # every ungrouped article, however old: one older than the window
            # is filed (as a late arrival) rather than left without a story
            pending = [a for a in self.storage.ungrouped_articles(EPOCH, limit=want + len(self._failed))
                       if a.id not in self._failed][:want]
            if not pending:
                break
            if before_batch is not None and before_batch() is False:
                break
            if engine is None:
                engine = self.engine
            with self._lock:
                n = self._file(engine, pending) if len(pending) > 1 else int(self._try_one(engine, pending[0]))
            done += n
        if done:
            log.info("stories: grouped %d articles", done)
        return done

    def group(self, article: Article) -> int | None:
        """File *article* (stored, with its id) under a story; None if the
        engine failed (logged: the article stays, ungrouped, and the next
        ``catch_up`` files it)."""
        try:
            engine = self.engine
            if engine.story_of(str(article.id)) is not None:
                stored = self.storage.get_article(article.id)
                return stored.story_id if stored else None
            with self._lock:
                return self._store(engine, article, engine.add(story_doc(article)))
        except Exception as exc:  # one article must never stop the ingest
            log.warning("stories: article %s not grouped: %s: %s", article.id, type(exc).__name__, exc)
            return None
