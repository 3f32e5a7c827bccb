"""Feeds: RSS, Atom, RDF and JSON Feed (feedparser) and OPML."""

from akhbar.feeds.parser import FeedParseError, parse_feed

__all__ = ["FeedParseError", "parse_feed"]
