"""Search: what gets indexed (index.py), how queries and filters look
(query.py), and how hits are highlighted (highlight.py). The engines
themselves (FTS5, PostgreSQL tsvector) live behind Storage.search()."""

from akhbar.search.query import SearchHit, SearchPage, SearchQuery

__all__ = ["SearchHit", "SearchPage", "SearchQuery"]
