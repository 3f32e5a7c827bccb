"""The `akhbar` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

import click

from akhbar.config import Settings, load_settings
from akhbar.models import Source


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _storage(ctx: click.Context):
    from akhbar.storage import open_storage

    if "storage" not in ctx.obj:
        ctx.obj["storage"] = open_storage(_settings(ctx).database_url)
        ctx.call_on_close(ctx.obj["storage"].close)
    return ctx.obj["storage"]


class _Cli(click.Group):
    """Database and disk failures end a command with one line, not a
    traceback (-vv logs the traceback too)."""

    def invoke(self, ctx: click.Context):
        import errno

        from sqlalchemy.exc import DBAPIError

        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            logging.getLogger("akhbar.cli").debug("database error", exc_info=True)
            url = ctx.obj["settings"].database_url if ctx.obj and "settings" in ctx.obj else ""
            from sqlalchemy.engine import make_url

            where = make_url(url).render_as_string(hide_password=True) if url else "the database"
            raise click.ClickException(f"database error at {where}: {str(exc.orig).strip().splitlines()[0]}") from None
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
                raise
            logging.getLogger("akhbar.cli").debug("disk error", exc_info=True)
            raise click.ClickException(f"{exc.strerror}: {exc.filename or ''}".rstrip(": ")) from None


@click.group(cls=_Cli)
@click.option("--database-url", envvar="AKHBAR_DATABASE_URL", help="SQLAlchemy URL (default: SQLite in ./data).")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, verbose: int) -> None:
    """akhbar (أخبار): a news aggregator for the Arabic-speaking world."""
    level = os.environ.get("AKHBAR_LOG_LEVEL") or ("DEBUG" if verbose > 1 else "INFO" if verbose else "WARNING")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    overrides = {"database_url": database_url} if database_url else {}
    ctx.ensure_object(dict)
    ctx.obj["settings"] = load_settings(**overrides)
    if ctx.obj["settings"].log_format == "json":  # AKHBAR_LOG_FORMAT=json: one JSON object per line
        from akhbar.workers.logs import configure_logging
        configure_logging("json", level)


@main.command()
@click.option("--defaults/--no-defaults", default=True, help="Add the shipped source list to an empty database.")
@click.pass_context
def init(ctx: click.Context, defaults: bool) -> None:
    """Create or migrate the database; add the default sources if there are none."""
    store = _storage(ctx)  # opening migrates
    added = 0
    if defaults and not store.list_sources():
        from akhbar.sources import import_sources, load_default_sources

        added, _ = import_sources(store, load_default_sources())
    click.echo(f"database ready at {_settings(ctx).database_url}" + (f"; {added} default sources added" if added else ""))


# -- sources -----------------------------------------------------------
@main.group()
def sources() -> None:
    """Add, list, pause, resume and remove sources; OPML in and out."""


def _find_source(store, ref: str) -> Source:
    src = store.get_source(int(ref)) if ref.isdigit() else store.get_source_by_url(ref)
    if src is None:
        raise click.ClickException(f"no source {ref!r} (give its id or feed URL; see `akhbar sources list`)")
    return src


@sources.command("add")
@click.argument("feed_url")
@click.option("--name", default="", help="Display name (default: the URL).")
@click.option("--lang", default=None, help="Language hint: ar, fr, en ...")
@click.option("--country", default=None, help="ISO country code of the outlet.")
@click.option("--homepage", default=None)
@click.option("--section", default=None, help="Section slug for everything this source publishes.")
@click.pass_context
def sources_add(ctx, feed_url, name, lang, country, homepage, section) -> None:
    """Follow FEED_URL."""
    if not feed_url.startswith(("http://", "https://")):
        raise click.BadParameter("the feed URL must start with http:// or https://", param_hint="FEED_URL")
    store = _storage(ctx)
    existed = store.get_source_by_url(feed_url) is not None
    src = store.add_source(Source(url=feed_url, name=name, lang=lang, country=country, homepage=homepage, section=section))
    click.echo(f"{'already following' if existed else 'added'} source {src.id}: {src.name} <{src.url}>")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def sources_list(ctx, as_json: bool) -> None:
    """List sources with their status and article counts."""
    for s in _storage(ctx).list_sources():
        if as_json:
            click.echo(json.dumps(asdict(s), default=str, ensure_ascii=False))
        else:
            state = s.status + (f", failing: {s.last_error}" if s.last_error else "")
            click.echo(f"{s.id:>4}  {s.name}  <{s.url}>  [{s.lang or '?'}] {s.article_count} articles ({state})")


def _set_status(ctx, ref: str, status: str, done: str) -> None:
    store = _storage(ctx)
    src = _find_source(store, ref)
    store.set_source_status(src.id, status)
    click.echo(f"{done} source {src.id}: {src.name}")


@sources.command("pause")
@click.argument("ref")
@click.pass_context
def sources_pause(ctx, ref: str) -> None:
    """Stop polling a source (id or URL); its articles stay."""
    _set_status(ctx, ref, "paused", "paused")


@sources.command("resume")
@click.argument("ref")
@click.pass_context
def sources_resume(ctx, ref: str) -> None:
    """Resume polling a paused source."""
    _set_status(ctx, ref, "active", "resumed")


@sources.command("remove")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def sources_remove(ctx, ref: str, yes: bool) -> None:
    """Stop following a source and delete its articles."""
    store = _storage(ctx)
    src = _find_source(store, ref)
    n = store.count_articles(src.id)
    if not yes:
        click.confirm(f"remove {src.name} and its {n} articles?", abort=True)
    store.remove_source(src.id)
    click.echo(f"removed source {src.id}: {src.name} ({n} articles deleted)")


@sources.command("import-opml")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def sources_import_opml(ctx, path: Path) -> None:
    """Follow every feed listed in an OPML file."""
    from akhbar.sources import OPMLError, import_sources, parse_opml

    try:
        found = parse_opml(path.read_bytes())
    except OPMLError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    added, existing = import_sources(_storage(ctx), found)
    click.echo(f"{added} sources added, {existing} already followed")


@sources.command("export-opml")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def sources_export_opml(ctx, path: Path | None) -> None:
    """Write the followed feeds as OPML (to PATH or standard output)."""
    from akhbar.sources import to_opml

    feeds = [s for s in _storage(ctx).list_sources() if s.url.startswith(("http://", "https://"))]
    data = to_opml(feeds)
    if path:
        path.write_bytes(data)
        click.echo(f"{len(feeds)} sources written to {path}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


# -- crawling ----------------------------------------------------------
def _print_source_report(rep) -> None:
    if rep.ok:
        what = "not modified" if rep.status == 304 else f"{rep.entries} items, {rep.new} new"
        if rep.failed_items:
            what += f", {rep.failed_items} failed"
        click.echo(f"  ok    {rep.name}: {what}", err=True)
    else:
        click.echo(f"  FAIL  {rep.name}: {rep.error}", err=True)


@main.command()
@click.option("--once", is_flag=True, help="Poll every active source once, then exit.")
@click.option("--source", "source_ref", default=None, help="Only this source (id or URL).")
@click.pass_context
def crawl(ctx, once: bool, source_ref: str | None) -> None:
    """Poll sources and store new articles (forever, or --once)."""
    from akhbar.crawl import Crawler

    store, settings = _storage(ctx), _settings(ctx)
    crawler = Crawler(store, settings)
    only = [_find_source(store, source_ref)] if source_ref else None
    if once:
        report = asyncio.run(crawler.crawl_once(only, on_source=_print_source_report))
        click.echo(
            f"{len(report.sources)} sources polled, {report.new} new articles, {len(report.failed)} sources failed"
        )
        return
    try:
        asyncio.run(crawler.run_forever())
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_context
def serve(ctx, host: str, port: int) -> None:
    """Serve the web site and API."""
    import uvicorn

    from akhbar.web.app import create_app

    app = create_app(_settings(ctx), _storage(ctx))
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--tick", default=30.0, show_default=True, help="Seconds between checks for sources due.")
@click.pass_context
def run(ctx, host: str, port: int, tick: float) -> None:
    """Crawl in the background and serve the site, in one process."""
    import uvicorn

    from akhbar.crawl import Crawler
    from akhbar.web.app import create_app

    store, settings = _storage(ctx), _settings(ctx)
    app = create_app(settings, store)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    click.echo(f"akhbar on http://{host}:{port}/ (database {settings.database_url})", err=True)

    async def main_loop() -> None:
        stop = asyncio.Event()
        crawler = Crawler(store, settings)
        app.state.crawler = crawler  # WebSub pushes are stored by it too (one story engine per process)
        task = asyncio.create_task(crawler.run_forever(tick=tick, stop=stop))
        try:
            await server.serve()
        finally:
            stop.set()
            await task

    try:
        asyncio.run(main_loop())
    except KeyboardInterrupt:
        pass


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--limit", type=int, default=None, help="Stop after N records.")
@click.pass_context
def replay(ctx, path: Path, limit: int | None) -> None:
    """Ingest a corpus (ANT folder or JSON lines) through the pipeline."""
    from akhbar.replay import replay as do_replay

    store = _storage(ctx)
    last = [0]

    def progress(rep) -> None:
        if sys.stderr.isatty() and rep.seen - last[0] >= 100:
            last[0] = rep.seen
            click.echo(f"\r  {rep.seen} records, {rep.new} new, {len(rep.errors)} errors", err=True, nl=False)

    try:
        report = do_replay(store, path, limit=limit, progress=progress, stories=_settings(ctx).stories)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if last[0]:
        click.echo("", err=True)
    for _where, reason in report.errors[:20]:
        click.echo(f"  skipped {reason}", err=True)
    if len(report.errors) > 20:
        click.echo(f"  ... and {len(report.errors) - 20} more", err=True)
    click.echo(f"{report.seen} records: {report.new} new, {report.existing} already stored, {len(report.errors)} skipped")


@main.command()
@click.argument("file_or_url")
@click.pass_context
def extract(ctx, file_or_url: str) -> None:
    """Print the article extracted from a page (file or URL) as JSON."""
    from akhbar.extraction import extract_page
    from akhbar.fetching import FetchError, Fetcher, decode_body

    if file_or_url.startswith(("http://", "https://")):
        async def get():
            async with Fetcher(_settings(ctx)) as f:
                return await f.fetch(file_or_url)

        try:
            res = asyncio.run(get())
        except FetchError as exc:
            raise click.ClickException(f"{file_or_url}: {exc.reason}") from exc
        html, url = res.text(), res.url
    else:
        path = Path(file_or_url)
        if not path.is_file():
            raise click.ClickException(f"{file_or_url}: no such file (or give an http(s) URL)")
        data = path.read_bytes()
        if path.suffix == ".gz":
            import gzip

            data = gzip.decompress(data)
        html, url = decode_body(data)[0], path.resolve().as_uri()
    page = extract_page(html, url)
    if page is None:
        raise click.ClickException(f"{file_or_url}: no article found on the page")
    out = asdict(page)
    out["published"] = page.published.isoformat() if page.published else None
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@main.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@click.option("--source", "source_ref", default=None, help="Only this source (id or URL).")
@click.option("--section", default=None, help="Only this section slug.")
@click.option("--lang", default=None, help="Only articles in this language.")
@click.option("--tag", default=None, help="Only articles with this hashtag.")
@click.option("--since", default=None, help="Published on or after (any date form akhbar reads).")
@click.option("--until", default=None, help="Published before.")
@click.pass_context
def search(ctx, query, limit, as_json, source_ref, section, lang, tag, since, until) -> None:
    """Search stored articles (Arabic-aware; "phrases", OR, -exclusion)."""
    from akhbar.dates import parse_date
    from akhbar.search import SearchQuery
    from akhbar.text.hashtags import hashtag_key

    store = _storage(ctx)
    bounds = {}
    for name, value in (("since", since), ("until", until)):
        if value:
            bounds[name] = parse_date(value)
            if bounds[name] is None:
                raise click.BadParameter(f"cannot read {value!r} as a date", param_hint=f"--{name}")
    q = SearchQuery(
        text=query,
        limit=limit,
        source_id=_find_source(store, source_ref).id if source_ref else None,
        section=section,
        lang=lang,
        tag_key=hashtag_key(tag) if tag else None,
        **bounds,
    )
    page = store.search(q)
    for hit in page.hits:
        a = hit.article
        if as_json:
            click.echo(json.dumps({"id": a.id, "url": a.url, "title": a.title, "source": a.source_name,
                                   "published": a.published.isoformat(), "score": round(hit.score, 6)},
                                  ensure_ascii=False))
        else:
            click.echo(f"{hit.score:8.3f}  {a.published:%Y-%m-%d}  {a.title}  ({a.source_name})  {a.url}")
    if not page.hits and not as_json:
        click.echo("no results", err=True)


@main.command()
@click.pass_context
def reindex(ctx) -> None:
    """Rebuild the search index from the stored articles."""
    store = _storage(ctx)

    def progress(n: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r  {n} articles indexed", err=True, nl=False)

    n = store.reindex(progress=progress)
    click.echo(f"{n} articles indexed")


@main.command("parse-date")
@click.argument("text")
@click.option("--ref", default=None, help="Reference time for relative and year-less dates (ISO 8601).")
@click.option("--tz", default=None, help="Time zone of times written without one (e.g. Africa/Algiers).")
def parse_date_cmd(text: str, ref: str | None, tz: str | None) -> None:
    """Print TEXT (a date in any form Arabic, French or English news write) as ISO 8601."""
    from datetime import datetime, timezone

    from akhbar.dates import DateParseError, parse_date_strict

    ref_dt = None
    if ref:
        try:
            ref_dt = datetime.fromisoformat(ref)
        except ValueError as exc:
            raise click.BadParameter(f"{ref!r} is not ISO 8601", param_hint="--ref") from exc
        if ref_dt.tzinfo is None:
            ref_dt = ref_dt.replace(tzinfo=timezone.utc)
    try:
        click.echo(parse_date_strict(text, ref=ref_dt, tz=tz).isoformat())
    except DateParseError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--conll", "conll", type=click.File("r", encoding="utf-8"), required=True,
              help="One token per line (extra columns ignored), blank line between sentences; - for stdin.")
def ner(conll) -> None:
    """Tag Arabic named entities: one `token TAG` line per input line (BIO, PERS/LOC/ORG/MISC)."""
    from akhbar.entities import conll_io

    conll_io(conll, click.get_text_stream("stdout"))


@main.command()
@click.argument("input", type=click.File("r", encoding="utf-8"), default="-")
def classify(input) -> None:
    """File JSON lines {id,title,text,lang?,section?} under a section: {id,section,confidence} lines."""
    from akhbar.sections.classifier import classify_jsonl

    classify_jsonl(input, click.get_text_stream("stdout"))


@main.command()
@click.argument("input", type=click.File("r", encoding="utf-8"), default="-")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Where {id,story} lines go.")
@click.option("--cards", type=click.File("w", encoding="utf-8"), default=None, help="Also write one story card per line.")
@click.option("--no-embeddings", is_flag=True, help="Words only (no multilingual sentence embeddings).")
def stories(input, output, cards, no_embeddings) -> None:
    """Group JSON lines {id,date,title,text,source,lang?} (in date order) into stories: {id,story} lines."""
    from akhbar.stories.cli import run_jsonl
    from akhbar.stories.cluster import ClusterConfig

    stats = run_jsonl(input, output, config=ClusterConfig(use_embeddings=not no_embeddings), cards=cards)
    if stats["errors"]:
        click.echo(f"{stats['errors']} input lines skipped (reasons above)", err=True)


@main.command()
@click.argument("input", type=click.File("r", encoding="utf-8"), default="-")
def analyze(input) -> None:
    """Entities, hashtags and section of JSON lines {id,title,text,lang?}:
    {id,lang,entities:[{text,type,start,end}],tags,section} lines."""
    from akhbar.hashtags.cli import analyze_jsonl

    stats = analyze_jsonl(input, click.get_text_stream("stdout"))
    if stats["errors"]:
        click.echo(f"{stats['errors']} input lines skipped (reasons above)", err=True)


@main.group()
def tags() -> None:
    """Hashtags: canonical forms, aliases, trending."""


def _existing_storage(ctx: click.Context):
    """The store, unless it is an SQLite file that does not exist yet (a
    lookup must not create a database as a side effect)."""
    url = _settings(ctx).database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return _storage(ctx)


@tags.command("canon")
@click.argument("texts", nargs=-1, required=True)
@click.option("--no-db", is_flag=True, help="Ignore the database's aliases (spelling and CLDR rules only).")
@click.pass_context
def tags_canon(ctx: click.Context, texts, no_db: bool) -> None:
    """Print the canonical hashtag of each TEXT, one per line."""
    from akhbar.hashtags.canon import cldr_canonical
    from akhbar.text.hashtags import to_hashtag

    store = None if no_db else _existing_storage(ctx)
    for text in texts:
        tag = store.resolve_tag(text) if store is not None else None
        name = tag.name if tag else (cldr_canonical(text) or to_hashtag(text))
        click.echo(f"#{name}" if name else "")


@tags.command("alias")
@click.argument("alias")
@click.argument("canonical")
@click.pass_context
def tags_alias(ctx: click.Context, alias: str, canonical: str) -> None:
    """File hashtag ALIAS (and its articles) under CANONICAL."""
    try:
        tag = _storage(ctx).set_alias(alias, canonical, origin="admin")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"#{alias} -> #{tag.name} ({tag.count} articles)")


@tags.command("unalias")
@click.argument("alias")
@click.pass_context
def tags_unalias(ctx: click.Context, alias: str) -> None:
    """Make ALIAS its own hashtag again."""
    if not _storage(ctx).unset_alias(alias):
        raise click.ClickException(f"#{alias} is not an alias")
    click.echo(f"#{alias} is its own hashtag again")


@tags.command("trending")
@click.option("--hours", type=float, default=6.0, show_default=True)
@click.option("--limit", type=int, default=10, show_default=True)
@click.pass_context
def tags_trending(ctx: click.Context, hours: float, limit: int) -> None:
    """Hashtags bursting in the last HOURS against their own baseline."""
    for t in _storage(ctx).trending_tags(hours=hours, limit=limit):
        click.echo(f"#{t.tag.name}\t{t.recent} articles, {t.sources} sources, expected {t.expected:.1f}, score {t.score:.1f}")


# -- scale-out: Celery workers and the schedule (akhbar.workers, docs/deploy.md)

def _broker_env(ctx: click.Context) -> Settings:
    settings = _settings(ctx)
    if not settings.broker_url:
        raise click.UsageError("set AKHBAR_BROKER_URL (redis://host:6379/0 or amqp://user:pass@host:5672//)")
    # the Celery app and its pool processes read settings from the environment
    os.environ["AKHBAR_DATABASE_URL"] = settings.database_url
    from akhbar.storage import open_storage

    open_storage(settings.database_url).close()  # migrate once, before any process forks
    return settings


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("-c", "--concurrency", type=int, default=None, help="Pool processes (default: CPU count).")
@click.option("--metrics-port", type=int, default=None, help="Serve Prometheus metrics here (AKHBAR_METRICS_PORT).")
@click.option("--beat", "with_beat", is_flag=True, help="Also run the schedule inside this worker.")
@click.option("--stories", "stories_only", is_flag=True,
              help="Be the grouping consumer: file stored articles under stories (one process; run one per deployment).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def worker(ctx, concurrency, metrics_port, with_beat, stories_only, celery_args) -> None:
    """A Celery worker: polls sources, fetches, analyses and stores articles
    (or, with --stories, groups them into stories). Extra arguments go to `celery worker`."""
    settings = _broker_env(ctx)
    port = settings.metrics_port if metrics_port is None else metrics_port
    if port:
        import tempfile

        # before prometheus_client is imported: the pool's children count into files
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="akhbar-metrics-")
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr="0.0.0.0", registry=registry)
    from akhbar.workers.app import app

    from akhbar.workers.app import stories_queue

    queue = settings.queue
    if stories_only:
        # the story engine keeps its window in memory: one process, which keeps it warm
        queue, concurrency = stories_queue(settings), 1
    argv = ["worker", "--loglevel", os.environ.get("AKHBAR_LOG_LEVEL", "INFO"), "-Q", queue]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if with_beat:
        argv += ["--beat", "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    app.worker_main(argv + list(celery_args))


@main.command()
@click.option("--once", is_flag=True, help="Claim and queue the sources due now, then exit.")
@click.pass_context
def beat(ctx, once: bool) -> None:
    """The schedule: every AKHBAR_SCHEDULE_TICK seconds, claim due sources
    (a lease in the database, so several beats never double a poll) and queue their polls."""
    settings = _broker_env(ctx)
    from akhbar.workers.app import app

    if once:
        from akhbar.storage import open_storage
        from akhbar.workers.tasks import dispatch

        store = open_storage(settings.database_url, migrate=False)
        try:
            click.echo(f"queued {len(dispatch(store, settings))} sources")
        finally:
            store.close()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.start(["beat", "--loglevel", os.environ.get("AKHBAR_LOG_LEVEL", "INFO"),
               "--schedule", str(settings.data_dir / "celerybeat-schedule")])


if __name__ == "__main__":
    main()
