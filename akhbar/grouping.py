"""The group stage: file each stored article under its story.

Sits between storage and the story engine (akhbar.stories.engine): the
engine decides, storage keeps the decision (and the engine's per-article
state, so a restart rebuilds the moving window without recomputing
embeddings). One grouper per process; the engine serialises calls.

Several processes must not group at once (each would hold its own
window): with workers, grouping runs in one consumer (see docs/deploy.md).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

from akhbar.models import Article

log = logging.getLogger(__name__)


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
        hashtags=list(article.tags) or None,
    )


class StoryGrouper:
    """Assigns stored articles to stories, restoring the engine's window from
    storage on first use (and grouping any article a crash left ungrouped)."""

    def __init__(self, storage, *, config=None, embedder=None):
        self.storage = storage
        self._config = config
        self._embedder = embedder
        self._engine = None
        self._lock = threading.Lock()

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
        # articles stored but not grouped (a crash between the two steps)
        pending = self.storage.ungrouped_articles(since)
        for art in pending:
            self._assign(engine, art)
        if pending:
            log.info("stories: grouped %d articles left ungrouped", len(pending))

    def _assign(self, engine, article: Article) -> int:
        doc = story_doc(article)
        a = engine.add(doc)
        card = engine.card(a.story_id, "ar") or {}
        dup = int(a.duplicate_of) if a.duplicate_of and a.duplicate_of.isdigit() else None
        try:
            state = engine.doc_state(doc.id)
        except KeyError:
            # a late article, older than the engine's window: filed, but not
            # held (nothing to restore it into)
            state = None
        return self.storage.assign_story(
            article.id, a.story_id, duplicate_of=dup, state=state, merged=a.merged,
            headline=card.get("headline"), summary=card.get("summary"),
        )

    def group(self, article: Article) -> int | None:
        """File *article* (stored, with its id) under a story; None if the
        engine failed (logged: the article stays, ungrouped, and is grouped
        on the next restart)."""
        try:
            engine = self.engine
            if engine.story_of(str(article.id)) is not None:
                # already grouped (caught up while the window was restored)
                stored = self.storage.get_article(article.id)
                return stored.story_id if stored else None
            return self._assign(engine, article)
        except Exception as exc:  # one article must never stop the ingest
            log.warning("stories: article %s not grouped: %s: %s", article.id, type(exc).__name__, exc)
            return None
