"""Where sources come from: the shipped defaults and OPML files."""

from akhbar.sources.defaults import load_default_sources
from akhbar.sources.opml import OPMLError, import_sources, parse_opml, to_opml

__all__ = ["OPMLError", "import_sources", "load_default_sources", "parse_opml", "to_opml"]
