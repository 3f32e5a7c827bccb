"""Replay a corpus through the same pipeline as fetched items.

Two inputs: a folder of ANT-format files (../shared/data/ant-*) and a
JSON-lines file of {url,title,text,published,source,lang?,section?,tags?}.
This is how demos and benchmarks run offline. Malformed records are
reported with their reason and skipped; nothing is dropped silently.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from akhbar.dates import parse_date
from akhbar.grouping import StoryGrouper
from akhbar.models import FeedEntry, Source
from akhbar.pipeline import build_article
from akhbar.storage import Storage

log = logging.getLogger(__name__)

# ANT's SRC codes -> how the outlets name themselves.
# Keys are lower-cased: the corpora spell them "BBC", "skynews", "Jawhara FM".
ANT_OUTLETS = {
    "bbc": ("بي بي سي عربي", "https://www.bbc.com/arabic", "GB"),
    "cnn": ("سي إن إن بالعربية", "https://arabic.cnn.com", "US"),
    "alarabia": ("العربية", "https://www.alarabiya.net", "AE"),
    "skynews": ("سكاي نيوز عربية", "https://www.skynewsarabia.com", "AE"),
    "jawhara fm": ("جوهرة أف أم", "https://www.jawharafm.net", "TN"),
}
_FIELD_RE = re.compile(r"<(DOCNO|URL|SRC|CAT|TITLE|TIME|AUTHOR|ABSTRACT|TEXT)>(.*?)</\1>", re.S)


class RecordError(ValueError):
    """A corpus record that cannot become an article (with the reason)."""


@dataclass
class Record:
    """One corpus item, before it meets the pipeline."""

    entry: FeedEntry
    source: str
    where: str  # file (and line) it came from, for error reports


@dataclass
class ReplayReport:
    seen: int = 0
    new: int = 0
    existing: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)


def parse_ant(text: str, where: str = "") -> Record:
    """Parse one ANT <DOC> file."""
    fields = {m.group(1): m.group(2).strip() for m in _FIELD_RE.finditer(text)}
    missing = [f for f in ("URL", "TITLE", "TEXT") if not fields.get(f)]
    if missing:
        raise RecordError(f"missing {', '.join(missing)}")
    src = fields.get("SRC") or "ANT"
    entry = FeedEntry(
        url=html.unescape(fields["URL"]),
        guid=fields.get("DOCNO") or None,
        title=html.unescape(fields["TITLE"]),
        summary=html.unescape(fields.get("ABSTRACT", "")),
        content_html="".join(f"<p>{html.escape(p.strip())}</p>" for p in html.unescape(fields["TEXT"]).split("\n") if p.strip()),
        author=fields.get("AUTHOR") or None,
        published=parse_date(fields.get("TIME")),
        published_text=fields.get("TIME"),
        lang="ar",
        section=fields.get("CAT") or None,
    )
    return Record(entry, src, where)


def iter_ant(folder: Path) -> Iterator[Record | RecordError]:
    for path in sorted(folder.rglob("*.txt")):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
            yield parse_ant(text, str(path))
        except RecordError as exc:
            exc.args = (f"{path}: {exc}",)
            yield exc
        except OSError as exc:
            yield RecordError(f"{path}: {exc}")


def parse_json_record(obj: dict, where: str = "") -> Record:
    if not isinstance(obj, dict):
        raise RecordError("not a JSON object")
    url, title = obj.get("url"), obj.get("title")
    if not url or not title:
        raise RecordError("url and title are required")
    text = obj.get("text") or ""
    published = obj.get("published")
    entry = FeedEntry(
        url=str(url),
        guid=str(obj["id"]) if obj.get("id") is not None else None,
        title=str(title),
        summary=str(obj.get("summary") or ""),
        content_html="".join(f"<p>{html.escape(p.strip())}</p>" for p in str(text).split("\n") if p.strip()),
        author=obj.get("author"),
        published=parse_date(str(published)) if published else None,
        published_text=str(published) if published else None,
        lang=obj.get("lang"),
        section=obj.get("section"),
        tags=[str(t) for t in obj.get("tags") or []],
        image=obj.get("image"),
    )
    return Record(entry, str(obj.get("source") or "replay"), where)


def iter_jsonl(path: Path) -> Iterator[Record | RecordError]:
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                yield parse_json_record(json.loads(line), where)
            except (json.JSONDecodeError, RecordError) as exc:
                yield RecordError(f"{where}: {exc}")


def iter_records(path: Path) -> Iterator[Record | RecordError]:
    if path.is_dir():
        return iter_ant(path)
    if path.suffix in (".jsonl", ".json", ".ndjson"):
        return iter_jsonl(path)
    if path.suffix == ".txt":
        return iter_ant_file(path)
    raise ValueError(f"{path}: expected a folder of ANT files or a .jsonl file")


def iter_ant_file(path: Path) -> Iterator[Record | RecordError]:
    try:
        yield parse_ant(path.read_text(encoding="utf-8", errors="replace"), str(path))
    except RecordError as exc:
        yield RecordError(f"{path}: {exc}")


class SourceCache:
    """Replay sources by name, created on first sight as 'replay:<name>'."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self._by_name: dict[str, Source] = {}

    def get(self, name: str, lang: str | None) -> Source:
        src = self._by_name.get(name)
        if src is None:
            display, home, country = ANT_OUTLETS.get(name.lower(), (name, None, None))
            src = self.storage.add_source(
                Source(url=f"replay:{name}", name=display, lang=lang, homepage=home, country=country)
            )
            self._by_name[name] = src
        return src


def replay(
    storage: Storage,
    path: Path,
    *,
    limit: int | None = None,
    progress: Callable[[ReplayReport], None] | None = None,
    stories: bool = True,
) -> ReplayReport:
    """Ingest every record under *path*; return counts and per-record errors."""
    report = ReplayReport()
    sources = SourceCache(storage)
    grouper = StoryGrouper(storage) if stories else None
    for item in iter_records(Path(path)):
        if limit is not None and report.seen >= limit:
            break
        report.seen += 1
        if isinstance(item, RecordError):
            report.errors.append((str(item).split(": ", 1)[0], str(item)))
            log.warning("replay: skipped %s", item)
        else:
            try:
                src = sources.get(item.source, item.entry.lang)
                article = build_article(item.entry, None, src, datetime.now(timezone.utc))
                _id, created = storage.save_article(article)
                if created:
                    report.new += 1
                    if grouper is not None:
                        article.id, article.source_name = _id, src.name
                        grouper.group(article)
                else:
                    report.existing += 1
            except Exception as exc:
                report.errors.append((item.where, f"{item.where}: {type(exc).__name__}: {exc}"))
                log.warning("replay: %s failed: %s", item.where, exc)
        if progress:
            progress(report)
    if grouper is not None and report.new:
        grouper.catch_up()  # any article a failed or interrupted grouping left behind
    return report
