"""WebSub (W3C, formerly PubSubHubbub) subscriber: feeds pushed by their hub.

    after_poll           a poll saw a hub (Link: header first, then the
                         feed's rel="hub"): subscribe; renew before the
                         lease ends; unsubscribe when the hub is gone
    verify_intent        the hub's GET on {public_url}/websub/{token}:
                         echo hub.challenge only for the subscription (or
                         unsubscription) we asked for, on its topic
    accept_push          the hub's POST there: the X-Hub-Signature HMAC
                         (keyed by the subscription's own secret) checked
                         over the bounded body, which is parsed as a feed
    ingest_pushed        the new entries to ingestion: ingest_entry tasks
                         when a broker is configured, else the crawl's own
                         path in this process

Hub requests go through the Fetcher, so a hub at a refused address
(private, loopback, strict mode) gets no request at all. A subscribed
source is still polled, at the longest adaptive interval, as a safety net
(and, every lease, to renew). WebSub is off unless AKHBAR_PUBLIC_URL says
where hubs can reach us.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from akhbar.config import Settings
from akhbar.feeds.parser import FeedParseError, parse_feed, websub_links
from akhbar.fetching import FetchError, Fetcher, FetchResult
from akhbar.models import FeedEntry, ParsedFeed, Source, WebSubSubscription

log = logging.getLogger(__name__)

REQUESTED_LEASE = 10 * 24 * 3600  # seconds asked for; the hub decides
MAX_LEASE = 365 * 24 * 3600  # a longer grant is read as this (hubs must not grant forever)
RENEW_FRACTION = 0.1  # renew when a tenth of the lease is left
RESEND_AFTER = timedelta(hours=1)  # a request the hub never verified is sent again after this
RETRY_DENIED_AFTER = timedelta(days=1)  # a refusal (or refused address) is retried after this
MAX_CHALLENGE = 1024  # characters of hub.challenge echoed; longer is refused
SIGNATURES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
LIVE = ("pending", "active")  # states in which the hub may verify and push


def enabled(settings: Settings) -> bool:
    return settings.public_url.startswith(("http://", "https://"))


def callback_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/websub/{token}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _short(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- subscribing -----------------------------------------------------------------

def renew_margin(sub: WebSubSubscription) -> timedelta:
    return timedelta(seconds=RENEW_FRACTION * (sub.lease_seconds or REQUESTED_LEASE))


def poll_interval(settings: Settings, sub: WebSubSubscription | None, now: datetime) -> float | None:
    """Seconds to the next poll while pushes arrive: the longest adaptive
    interval, but never past the time to renew (the renewal rides on a
    poll). None when no lease runs: poll as usual."""
    if sub is None or sub.state != "active" or sub.lease_expires_at is None or sub.lease_expires_at <= now:
        return None
    renew_at = sub.lease_expires_at - renew_margin(sub)
    # renewal already asked for: look again when the lease would end
    target = renew_at if renew_at > now else sub.lease_expires_at
    return min(settings.poll_max_interval, max(settings.poll_min_interval, (target - now).total_seconds()))


def _wants_request(sub: WebSubSubscription, now: datetime) -> bool:
    """Should (re)subscribing be asked of the hub now?"""
    outstanding = sub.requested_at is not None and (sub.verified_at is None or sub.requested_at > sub.verified_at)
    if outstanding and now - sub.requested_at < RESEND_AFTER:
        return False  # asked already; give the hub time to verify
    if sub.state == "pending":
        return True
    if sub.state == "active":
        return sub.lease_expires_at is None or sub.lease_expires_at - now <= renew_margin(sub)
    if sub.state == "denied":
        return now - (sub.updated_at or now) >= RETRY_DENIED_AFTER
    return sub.state == "unsubscribed"  # the hub is back in the feed


async def hub_request(storage, settings: Settings, fetcher: Fetcher, sub: WebSubSubscription, mode: str,
                      now: datetime | None = None) -> str | None:
    """Send a subscribe or unsubscribe request for *sub* to its hub; return
    None when the hub accepted it (it verifies later), else why not. The
    intent is stored first: a hub may verify before it answers."""
    now = now or _now()
    if mode == "subscribe":
        state = "active" if sub.state == "active" else "pending"  # a renewal keeps pushes flowing
    else:
        state = "unsubscribed"
    await asyncio.to_thread(storage.update_websub, sub.token, state=state, requested_at=now)
    form = {"hub.mode": mode, "hub.topic": sub.topic, "hub.callback": callback_url(settings, sub.token)}
    if mode == "subscribe":
        form.update({"hub.secret": sub.secret, "hub.lease_seconds": str(REQUESTED_LEASE)})
    try:
        await fetcher.post_form(sub.hub, form)
    except FetchError as exc:
        refused = exc.reason.startswith("blocked:") or (exc.status is not None and 400 <= exc.status < 500)
        error = _short(f"{mode} at {sub.hub}: {exc.reason}")
        log.warning("websub: source %s: %s", sub.source_id, error)
        # a refusal (or an address we refuse) is final until RETRY_DENIED_AFTER;
        # a hub that is down is asked again after RESEND_AFTER
        await asyncio.to_thread(storage.update_websub, sub.token, last_error=error)
        if refused and mode == "subscribe":
            # only a subscription still pending (a hub that verified first keeps it active)
            await asyncio.to_thread(storage.update_websub, sub.token, states=("pending",), state="denied")
        return error
    log.info("websub: source %s: %s request for %s accepted by %s", sub.source_id, mode, sub.topic, sub.hub)
    await asyncio.to_thread(storage.update_websub, sub.token, last_error=None)
    return None


async def after_poll(storage, settings: Settings, fetcher: Fetcher, source: Source, feed: ParsedFeed | None,
                     result: FetchResult, *, now: datetime | None = None) -> float | None:
    """After a successful poll (*feed* None on 304): subscribe to the hub
    the feed names, renew a lease about to end, unsubscribe when the feed
    no longer names it. Returns the interval to the next poll while pushes
    arrive (None: poll as usual). Never raises: polling goes on."""
    if not enabled(settings):
        return None
    try:
        return await _after_poll(storage, settings, fetcher, source, feed, result, now or _now())
    except Exception:
        log.exception("websub: source %s (%s): subscription step failed", source.id, source.url)
        return None


async def _after_poll(storage, settings, fetcher, source, feed, result, now) -> float | None:
    sub = await asyncio.to_thread(storage.websub_for_source, source.id)
    if feed is not None:  # a 304 says nothing new about hubs
        hubs, topic = websub_links(feed, result.headers, result.url)
        if not hubs:
            if sub is not None and sub.state in LIVE:
                await hub_request(storage, settings, fetcher, sub, "unsubscribe", now)
            return None
        if sub is None or sub.hub not in hubs or sub.topic != topic:
            # new, or the publisher moved: a fresh subscription (new token and
            # secret); the old hub's pushes now get 410 Gone and its lease lapses
            sub = await asyncio.to_thread(storage.put_websub, WebSubSubscription(
                source_id=source.id, hub=hubs[0], topic=topic, token=secrets.token_urlsafe(32),
                secret=secrets.token_hex(32), state="pending"))
            await hub_request(storage, settings, fetcher, sub, "subscribe", now)
            return None
    if sub is None or (feed is None and sub.state not in LIVE):
        return None
    if _wants_request(sub, now):
        await hub_request(storage, settings, fetcher, sub, "subscribe", now)
        sub = await asyncio.to_thread(storage.websub_for_source, source.id)
    return poll_interval(settings, sub, now)


# -- the hub calls us -------------------------------------------------------------

def verify_intent(storage, token: str, params, now: datetime | None = None) -> tuple[int, str]:
    """Answer a hub's GET on our callback: (status, body). The challenge is
    echoed only for a subscription we asked for, on its topic; denial is
    recorded; anything else is 404, as the spec asks."""
    now = now or _now()
    mode, topic = params.get("hub.mode"), params.get("hub.topic")
    sub = storage.websub_by_token(token)
    if sub is None or not topic or topic != sub.topic:
        return 404, ""
    if mode == "denied":
        reason = _short(f"denied by the hub: {params.get('hub.reason') or 'no reason given'}")
        storage.update_websub(token, state="denied", lease_expires_at=None, last_error=reason)
        log.warning("websub: source %s: %s", sub.source_id, reason)
        return 200, ""
    challenge = params.get("hub.challenge") or ""
    if not challenge or len(challenge) > MAX_CHALLENGE:
        return 404, ""
    if mode == "subscribe" and sub.state in LIVE:
        try:
            lease = int(params.get("hub.lease_seconds") or sub.lease_seconds or REQUESTED_LEASE)
        except ValueError:
            return 404, ""
        lease = min(max(lease, 1), MAX_LEASE)
        # the row may have changed since we read it (a new token, an unsubscribe): compare and set
        if storage.update_websub(token, states=LIVE, state="active", lease_seconds=lease,
                                 lease_expires_at=now + timedelta(seconds=lease), verified_at=now, last_error=None):
            log.info("websub: source %s: subscription to %s verified, lease %d s", sub.source_id, topic, lease)
            return 200, challenge
        return 404, ""
    if mode == "unsubscribe" and sub.state == "unsubscribed":
        storage.update_websub(token, states=("unsubscribed",), lease_expires_at=None, verified_at=now)
        return 200, challenge
    return 404, ""


def signature_ok(secret: str, header: str | None, body: bytes) -> bool:
    """Does X-Hub-Signature ("sha256=<hex>"; sha1, sha384, sha512 too) match
    the HMAC of *body* keyed by *secret*? (Constant-time comparison.)"""
    method, _, given = (header or "").strip().partition("=")
    algo = SIGNATURES.get(method.strip().lower())
    if algo is None or not given:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, algo).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


@dataclass
class Push:
    """What a content distribution request amounts to."""

    status: int  # the HTTP answer to the hub
    source: Source | None = None
    feed: ParsedFeed | None = None  # None: nothing to ingest
    reason: str = ""


def accept_push(storage, token: str, body: bytes, content_type: str | None, signature: str | None,
                now: datetime | None = None) -> Push:
    """Check a hub's POST on our callback (body already read, bounded).
    Unknown or ended subscriptions answer 410 Gone (the hub may drop them);
    a bad or missing signature is acknowledged (2xx, as the spec allows)
    and ignored; a signed body is parsed as a feed."""
    sub = storage.websub_by_token(token)
    if sub is None or sub.state not in LIVE:
        return Push(410, reason="no such subscription")
    if not signature_ok(sub.secret, signature, body):
        reason = "push with a bad or missing X-Hub-Signature ignored"
        log.warning("websub: source %s: %s (%d bytes)", sub.source_id, reason, len(body))
        storage.update_websub(token, last_error=reason)
        return Push(202, reason=reason)
    source = storage.get_source(sub.source_id)
    if source is None or source.status != "active":
        return Push(202, reason="source paused")
    try:
        feed = parse_feed(body, sub.topic, content_type)
    except FeedParseError as exc:
        reason = _short(f"pushed document is not a feed: {exc}")
        log.warning("websub: source %s: %s", sub.source_id, reason)
        storage.update_websub(token, last_error=reason)
        return Push(202, source=source, reason=reason)
    storage.update_websub(token, last_push_at=now or _now())
    return Push(202, source=source, feed=feed)


# -- ingestion ----------------------------------------------------------------

async def ingest_pushed(storage, settings: Settings, source: Source, entries: list[FeedEntry], *,
                        crawler=None, fetcher: Fetcher | None = None) -> int:
    """Hand pushed entries to ingestion, the way polled ones go: with a
    broker (settings.broker_url), an ingest_entry task per entry not stored
    yet; otherwise *crawler*'s own path in this process (pages fetched with
    *fetcher*, then grouped). Returns the entries queued or newly stored."""
    if settings.broker_url:
        return await asyncio.to_thread(_queue, storage, settings, source, entries)
    if crawler is None:
        from akhbar.crawl import Crawler

        crawler = Crawler(storage, settings)
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    try:
        new, _failed = await crawler.ingest_entries(source, entries, fetcher)
    finally:
        if own:
            await fetcher.aclose()
    if new and crawler.grouper is not None:
        await asyncio.to_thread(crawler.grouper.catch_up)
    log.info("websub: source %s: %d pushed entries, %d new", source.id, len(entries), new)
    return new


def _queue(storage, settings: Settings, source: Source, entries: list[FeedEntry]) -> int:
    from akhbar.pipeline import url_key
    from akhbar.workers.tasks import entry_to_dict, ingest_entry

    keys = {url_key(e.url): e for e in entries}
    known = storage.known_articles(source.id, list(keys), [e.guid for e in entries if e.guid])
    fresh = [e for k, e in keys.items() if k not in known and (not e.guid or e.guid not in known)]
    for entry in fresh:
        ingest_entry.apply_async((source.id, entry_to_dict(entry)), queue=settings.queue)
    log.info("websub: source %s: %d pushed entries, %d queued", source.id, len(entries), len(fresh))
    return len(fresh)
