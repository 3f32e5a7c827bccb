"""JSON API, /api/v1: lists are {"items": [...], "next": URL | null}.

`next` is root-relative and keeps the limit, so a client pages by
following it until it is null.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from akhbar.dates.display import iso
from akhbar.extraction.sanitize import sanitize_html
from akhbar.models import Article, Source
from akhbar.storage import Page, Storage
from akhbar.text.hashtags import hashtag_key
from akhbar.web.auth import require_admin
from akhbar.web.pagecache import sources_with_counts

PREFIX = "/api/v1"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_ID = 2**63 - 1

# operationIds are the function names: short, stable names for generated clients
router = APIRouter(prefix=PREFIX, tags=["v1"], generate_unique_id_function=lambda route: route.name)


class ArticleItem(BaseModel):
    id: int
    story_id: int | None = Field(default=None, description="The story it belongs to")
    story_sources: int = Field(default=0, description="How many sources tell its story")
    url: str
    title: str
    source: str = Field(description="The source's name")
    source_id: int
    published: str = Field(description="ISO 8601 with UTC offset", examples=["2025-03-13T09:00:00+00:00"])
    lang: str | None
    section: str | None = Field(description="Section slug (politics, economy, ...)")
    tags: list[str] = Field(description="Hashtag names, without '#'")
    summary: str
    image: str | None


class ArticleDetail(ArticleItem):
    text: str
    html: str = Field(description="Sanitized article HTML; may be empty")
    author: str | None
    canonical_url: str | None
    fetched: str | None


class SourceItem(BaseModel):
    id: int
    name: str
    url: str = Field(description="Feed URL")
    homepage: str | None
    lang: str | None
    country: str | None
    status: str = Field(description="active or paused")
    article_count: int
    last_error: str | None = Field(description="Why the last poll failed; null when it worked")
    error_count: int = Field(description="Consecutive failed polls")
    last_ok_at: str | None


class ArticleList(BaseModel):
    items: list[ArticleItem]
    next: str | None


class SourceList(BaseModel):
    items: list[SourceItem]
    next: str | None


class SearchItem(ArticleItem):
    score: float = Field(description="Relevance (BM25 or ts_rank, with a recency boost); higher is better")
    snippet: str = Field(description="HTML excerpt; the query's words are in <mark>, everything else escaped")


class SearchList(BaseModel):
    items: list[SearchItem]
    next: str | None


class Error(BaseModel):
    detail: str


BAD_CURSOR = {400: {"model": Error, "description": "Invalid cursor"}}
NOT_FOUND = {404: {"model": Error, "description": "Not found"}}


def get_storage(request: Request) -> Storage:
    return request.app.state.storage


Store = Annotated[Storage, Depends(get_storage)]
Limit = Annotated[int, Query(description=f"Items per page ({DEFAULT_LIMIT} by default, at most {MAX_LIMIT})")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from a previous page's `next`")]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def article_item(a: Article) -> ArticleItem:
    return ArticleItem(
        id=a.id, url=a.url, title=a.title, source=a.source_name or "", source_id=a.source_id,
        published=iso(a.published), lang=a.lang, section=a.section, tags=list(a.tags),
        summary=a.summary or "", image=a.image, story_id=a.story_id, story_sources=a.story_sources,
    )


def source_item(s: Source) -> SourceItem:
    return SourceItem(
        id=s.id, name=s.name, url=s.url, homepage=s.homepage, lang=s.lang, country=s.country,
        status=s.status, article_count=s.article_count, last_error=s.last_error,
        error_count=s.error_count, last_ok_at=iso(s.last_ok_at) if s.last_ok_at else None,
    )


def clamp(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def next_url(request: Request, path: str, limit: int, cursor: str | None) -> str | None:
    if not cursor:
        return None
    root = request.scope.get("root_path", "")
    return f"{root}{PREFIX}{path}?{urlencode({'limit': limit, 'cursor': cursor})}"


def article_list(request: Request, store: Storage, path: str, limit: int, cursor: str | None, **filters) -> ArticleList:
    limit = clamp(limit)
    try:
        page: Page = store.list_articles(limit=limit, cursor=cursor, **filters)
    except ValueError as exc:  # the storage's word for a cursor it did not issue
        raise HTTPException(400, "invalid cursor") from exc
    return ArticleList(items=[article_item(a) for a in page.items], next=next_url(request, path, limit, page.next_cursor))


@router.get("/articles", response_model=ArticleList, responses=BAD_CURSOR)
def list_articles(request: Request, store: Store, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """Latest articles, newest first."""
    return article_list(request, store, "/articles", limit, cursor)


@router.get("/articles/{article_id}", response_model=ArticleDetail, responses=NOT_FOUND)
def get_article(article_id: Id, store: Store):
    """One article with its full text."""
    a = store.get_article(article_id)
    if a is None:
        raise HTTPException(404, "unknown article")
    return ArticleDetail(
        **article_item(a).model_dump(), text=a.text or "", html=sanitize_html(a.html or ""),
        author=a.author, canonical_url=a.canonical_url, fetched=iso(a.fetched) if a.fetched else None,
    )


class TagRef(BaseModel):
    name: str = Field(description="Hashtag, without '#'")
    kind: str | None = Field(description="PERS, LOC, ORG, MISC for names; topic for feed categories")
    count: int = Field(description="Articles filed under it")
    url: str = Field(description="The hashtag's page")


class TagDetail(TagRef):
    aliases: list[str] = Field(description="Other spellings and scripts filed under this hashtag")
    related: list[TagRef] = Field(description="Hashtags that most often appear with it lately")
    articles: str = Field(description="API URL of its articles")
    feed: str = Field(description="Atom feed URL")


class TrendingItem(BaseModel):
    tag: TagRef
    recent: int = Field(description="Articles in the last hours")
    sources: int = Field(description="Distinct sources among them")
    expected: float = Field(description="Articles its own baseline predicts for that window")
    score: float = Field(description="Burst strength; higher trends more")


class TrendingList(BaseModel):
    items: list[TrendingItem]
    hours: float


class AliasIn(BaseModel):
    alias: str = Field(min_length=1, max_length=100, description="Hashtag to file under another")
    canonical: str = Field(min_length=1, max_length=100, description="The hashtag it is filed under")


def tag_ref(t) -> TagRef:
    return TagRef(name=t.name, kind=t.kind, count=t.count, url="/tag/" + quote(t.name, safe=""))


def _resolve(store: Storage, hashtag: str, count: bool = True):
    tag = store.resolve_tag(hashtag, count=count)
    if tag is None:
        raise HTTPException(404, "unknown hashtag")
    return tag


@router.get("/tags/trending", response_model=TrendingList)
def trending_tags(
    store: Store,
    hours: Annotated[float, Query(gt=0, le=72, description="Window, in hours")] = 6.0,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
):
    """Hashtags whose volume bursts against their own baseline, across several sources."""
    items = store.trending_tags(hours=hours, limit=limit)
    return TrendingList(
        hours=hours,
        items=[TrendingItem(tag=tag_ref(t.tag), recent=t.recent, sources=t.sources,
                            expected=round(t.expected, 3), score=round(t.score, 3)) for t in items],
    )


@router.get("/tags/{hashtag}", response_model=TagDetail, responses=NOT_FOUND)
def get_tag(hashtag: str, store: Store):
    """A hashtag (any alias or spelling resolves to its canonical one)."""
    tag = _resolve(store, hashtag)
    q = quote(tag.name, safe="")
    return TagDetail(
        **tag_ref(tag).model_dump(),
        aliases=[a.name for a in store.tag_aliases(tag.id)],
        related=[tag_ref(t) for t in store.related_tags(tag.id)],
        articles=f"{PREFIX}/tags/{q}/articles",
        feed=f"/tag/{q}/feed.atom",
    )


@router.get("/tags/{hashtag}/articles", response_model=ArticleList, responses={**BAD_CURSOR, **NOT_FOUND})
def tag_articles(hashtag: str, request: Request, store: Store, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """Articles with a hashtag or any of its aliases (percent-encoded UTF-8, without '#'), newest first."""
    tag = _resolve(store, hashtag, count=False)
    return article_list(request, store, f"/tags/{quote(hashtag, safe='')}/articles", limit, cursor, tag_key=tag.key)


class StorySource(BaseModel):
    id: int
    name: str
    articles: int


class StoryItem(BaseModel):
    id: int
    headline: str
    summary: str
    first_published: str
    last_published: str
    article_count: int
    source_count: int = Field(description="Distinct sources telling the story: its breadth of coverage")
    languages: list[str]
    url: str = Field(description="The story's page")


class StoryDetail(StoryItem):
    sources: list[StorySource]
    articles: list[ArticleItem] = Field(description="The timeline, oldest first")
    duplicates: dict[str, int] = Field(description="Article id -> id of the article it copies (wire copies)")


class StoryList(BaseModel):
    items: list[StoryItem]
    next: str | None


def story_item(st) -> StoryItem:
    return StoryItem(
        id=st.id, headline=st.headline, summary=st.summary, first_published=iso(st.first_published),
        last_published=iso(st.last_published), article_count=st.article_count, source_count=st.source_count,
        languages=st.langs, url=f"/story/{st.id}",
    )


@router.get("/stories", response_model=StoryList, responses=BAD_CURSOR)
def list_stories(
    request: Request, store: Store, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
    top: Annotated[bool, Query(description="Top stories by breadth of coverage and freshness instead")] = False,
):
    """Stories, newest first (or the top stories with ?top=true)."""
    limit = clamp(limit)
    if top:
        return StoryList(items=[story_item(st) for st in store.top_stories(limit=limit)], next=None)
    try:
        page = store.list_stories(limit=limit, cursor=cursor)
    except ValueError as exc:
        raise HTTPException(400, "invalid cursor") from exc
    return StoryList(items=[story_item(st) for st in page.items], next=next_url(request, "/stories", limit, page.next_cursor))


@router.get("/stories/{story_id}", response_model=StoryDetail, responses=NOT_FOUND)
def get_story(story_id: Id, store: Store):
    """One story: its sources and every article, oldest first (a merged story answers with the one it joined)."""
    st = store.get_story(story_id)
    if st is not None and st.merged_into:
        st = store.get_story(st.merged_into)
    if st is None or st.article_count == 0:
        raise HTTPException(404, "unknown story")
    arts = store.story_articles(st.id)
    counts: dict[tuple, int] = {}
    for a in arts:
        counts[(a.source_id, a.source_name or "")] = counts.get((a.source_id, a.source_name or ""), 0) + 1
    return StoryDetail(
        **story_item(st).model_dump(),
        sources=[StorySource(id=k[0], name=k[1], articles=n) for k, n in sorted(counts.items(), key=lambda x: -x[1])],
        articles=[article_item(a) for a in arts],
        duplicates={str(a.id): a.duplicate_of for a in arts if a.duplicate_of},
    )


ADMIN = {401: {"model": Error, "description": "Missing or wrong admin token"},
         403: {"model": Error, "description": "Admin actions are disabled"}}


@router.put("/admin/aliases", response_model=TagDetail, responses=ADMIN, dependencies=[Depends(require_admin)])
def put_alias(body: AliasIn, store: Store):
    """File a hashtag (and its articles) under another one. Needs the admin token."""
    try:
        store.set_alias(body.alias, body.canonical, origin="admin")
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return get_tag(body.canonical, store)


@router.delete("/admin/aliases/{alias}", status_code=204, responses={**ADMIN, **NOT_FOUND},
               dependencies=[Depends(require_admin)])
def delete_alias(alias: str, store: Store):
    """Make an alias its own hashtag again. Needs the admin token."""
    if not store.unset_alias(alias):
        raise HTTPException(404, "not an alias")
    return Response(status_code=204)


@router.get("/sources", response_model=SourceList, responses=BAD_CURSOR)
def list_sources(request: Request, store: Store, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """Followed sources with their status, by id."""
    limit = clamp(limit)
    after = 0
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()):
            raise HTTPException(400, "invalid cursor")
        after = int(cursor)
    rest = [s for s in sources_with_counts(request.app) if s.id > after]
    items = rest[:limit]
    more = str(items[-1].id) if len(rest) > limit else None
    return SourceList(items=[source_item(s) for s in items], next=next_url(request, "/sources", limit, more))


@router.get("/sources/{source_id}/articles", response_model=ArticleList, responses={**BAD_CURSOR, **NOT_FOUND})
def source_articles(source_id: Id, request: Request, store: Store, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """A source's articles, newest first."""
    if store.get_source(source_id) is None:
        raise HTTPException(404, "unknown source")
    return article_list(request, store, f"/sources/{source_id}/articles", limit, cursor, source_id=source_id)


@router.get("/search", response_model=SearchList, responses=BAD_CURSOR)
def search(
    request: Request,
    store: Store,
    q: Annotated[str, Query(max_length=256, description='Query: words, "phrases", OR, -excluded')],
    lang: Annotated[str | None, Query(max_length=8, description="Article language (ar, fr, en)")] = None,
    section: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[str | None, Query(max_length=100, description="Hashtag, without '#'")] = None,
    source_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Annotated[str | None, Query(max_length=64, description="Published on or after (ISO 8601)")] = None,
    until: Annotated[str | None, Query(max_length=64, description="Published before (ISO 8601)")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
):
    """Full-text search, Arabic-aware, best matches first."""
    from akhbar.dates import parse_date
    from akhbar.search import SearchQuery
    from akhbar.search.query import MAX_OFFSET

    limit = clamp(limit)
    offset = 0
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > MAX_OFFSET:
            raise HTTPException(400, "invalid cursor")
        offset = int(cursor)
    bounds = {}
    for name, value in (("since", since), ("until", until)):
        if value:
            bounds[name] = parse_date(value)
            if bounds[name] is None:
                raise HTTPException(400, f"cannot read {name}={value!r} as a date")
    page = store.search(SearchQuery(text=q, lang=lang, section=section, tag_key=hashtag_key(tag) if tag else None,
                                    source_id=source_id, limit=limit, offset=offset, **bounds))
    items = [SearchItem(**article_item(h.article).model_dump(), score=h.score, snippet=h.snippet) for h in page.hits]
    nxt = None
    if page.has_more and offset + limit <= MAX_OFFSET:
        params = {k: v for k, v in request.query_params.items() if k not in ("cursor", "limit")}
        params.update(limit=limit, cursor=offset + limit)
        nxt = f"{request.scope.get('root_path', '')}{PREFIX}/search?{urlencode(params)}"
    return SearchList(items=items, next=nxt)


class SectionInfo(BaseModel):
    slug: str
    names: dict[str, str] = Field(description="Display names by UI language (ar, fr, en)")


class SectionArticles(ArticleList):
    section: SectionInfo


def section_info(slug: str) -> SectionInfo:
    from akhbar.sections import TAXONOMY

    sec = TAXONOMY[slug]
    return SectionInfo(slug=slug, names={"ar": sec.ar, "fr": sec.fr, "en": sec.en})


@router.get("/sections", response_model=list[SectionInfo])
def list_sections():
    """The fixed section taxonomy with its names."""
    from akhbar.sections import TAXONOMY

    return [section_info(slug) for slug in TAXONOMY]


@router.get("/sections/{slug}", response_model=SectionArticles, responses={**BAD_CURSOR, **NOT_FOUND})
def section_articles(slug: str, request: Request, store: Store, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """A section's articles, newest first."""
    from akhbar.sections import TAXONOMY

    if slug not in TAXONOMY:
        raise HTTPException(404, "unknown section")
    page = article_list(request, store, f"/sections/{slug}", limit, cursor, section=slug)
    return SectionArticles(section=section_info(slug), items=page.items, next=page.next)
