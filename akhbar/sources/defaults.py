"""The shipped default source list (akhbar/data/default_sources.json)."""

from __future__ import annotations

import json
from importlib.resources import files

from akhbar.models import Source

_FIELDS = ("url", "name", "homepage", "lang", "country", "section")


def load_default_sources() -> list[Source]:
    """Return fresh Source objects for every entry of the shipped list."""
    raw = (files("akhbar") / "data" / "default_sources.json").read_text(encoding="utf-8")
    return [Source(**{k: e[k] for k in _FIELDS if k in e}) for e in json.loads(raw)["sources"]]
