"""``StoryEngine``: the online story engine the live system and ``akhbar stories`` use.

    engine = StoryEngine()                      # ClusterConfig() defaults
    for a in engine.add_many(new_docs):         # or engine.add(doc), in arrival order
        save(a.doc_id, a.story_id, a.duplicate_of, engine.doc_state(a.doc_id))
        for old in a.merged:                    # stories folded into a.story_id just now
            relabel(old, a.story_id)

after a restart::

    engine = StoryEngine()
    engine.restore((doc, state, story_id) for ... in stored articles)   # see restore()

Contract
--------
* ``add(doc) -> Assignment`` is deterministic: the same articles in the same
  order give the same stories. ``Assignment.story_id`` is the story's id,
  ``is_new_story`` whether this article opened it, ``duplicate_of`` the id of
  the article it copies (exact: GUID, canonical URL, content hash; or a
  MinHash near-duplicate), ``merged`` the ids of stories folded into this one
  now (the caller relabels their articles; the older story's id survives).
* Story ids are derived from the story's first article: ``"st-" +
  sha1(first article id)[:12]`` (``story_id_for``). They never change while
  the story grows; nothing needs to be persisted to keep them stable (no
  counter). A story id only disappears when its story is merged into an
  older one, and then it is reported in ``Assignment.merged`` and kept as an
  alias (``resolve``).
* ``doc_state(doc_id) -> bytes`` is what the engine derived from an article
  (see ``encode_state`` for the layout; about 2 KB with an embedding): its
  float16 embedding, MinHash signature, weighted terms, title terms,
  entities, language, arrival number, and the article it copies. No pickle.
  Ask for it right after ``add``: it is kept only while the article is in
  the window (``KeyError`` after).
* ``restore(items)`` rebuilds the moving window from stored articles without
  recomputing embeddings: *items* are ``(StoryDoc, state bytes, story_id)``
  for every article of the last ``max(window_hours, df_hours)`` hours (168 h
  by default: document frequencies are learned over a week) plus the
  earlier articles of stories still open; in any order (the state carries
  the arrival number). With the same items, the restored engine gives the
  same assignments as one that never stopped (checked on the Arabic test
  stream, restart after 1,216 articles: 0 of the next 402 differ).
  Articles only ``observe``d (document frequencies, no state) are not
  restored: call ``observe`` again for those still inside df_hours.
* ``evict(before)`` closes stories whose newest article is older than
  *before* and forgets older articles (``add`` already does this for the
  window as time advances; call it to bound memory when the stream is
  quiet). Memory is bounded by the window, whatever the store's size.
* Thread safety: every public method takes one lock, so calls from several
  threads are serialised (safe, not parallel). The live system calls it
  from one thread. Embedding a batch (``add_many``) runs inside the lock.
"""

from __future__ import annotations

import heapq
import struct
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from akhbar.stories.cluster import (
    Assignment,
    ClusterConfig,
    Story,
    StoryClusterer,
    StoryDoc,
    _Prepared,
    _ts,
    story_id_for,
)

__all__ = ["StoryEngine", "Assignment", "ClusterConfig", "StoryDoc", "encode_state", "decode_state", "story_id_for"]

MAGIC = b"AKS1"
_HEAD = struct.Struct("<4sBBQd")  # magic, version, flags, arrival number, date (POSIX seconds)
_F_EMB, _F_SIG = 1, 2
DIM = 512


def _put_str(out: list, s: str, wide: bool = False) -> None:
    b = s.encode("utf-8")
    out.append(struct.pack("<H" if wide else "<B", len(b)))
    out.append(b)


def encode_state(p: _Prepared) -> bytes:
    """Per-article state, little-endian:

    ``"AKS1"`` u8 version=1, u8 flags (1: embedding, 2: MinHash), u64 arrival
    number, f64 date; lang (u8 length + UTF-8); duplicate_of (u16 length +
    UTF-8, empty = none); [512 x f16 embedding]; [128 x u32 MinHash];
    u16 n terms, each u8 length + UTF-8, then n x f16 weights (the article's
    unit TF-IDF vector; its terms are also what it adds to the document
    frequencies); u16 m title terms as u16 indexes into the terms, then
    m x f16 weights; u16 k entities, each u16 length + UTF-8.
    """
    import numpy as np

    flags = (_F_EMB if p.emb is not None else 0) | (_F_SIG if p.sig else 0)
    out: list[bytes] = [_HEAD.pack(MAGIC, 1, flags, p.seq, p.ts)]
    _put_str(out, p.lang)
    _put_str(out, p.dup_of or "", wide=True)
    if p.emb is not None:
        out.append(np.asarray(p.emb, dtype="<f2").tobytes())
    if p.sig:
        out.append(np.asarray(p.sig, dtype="<u4").tobytes())
    terms = list(p.lex)
    out.append(struct.pack("<H", len(terms)))
    for t in terms:
        _put_str(out, t)
    out.append(np.asarray([p.lex[t] for t in terms], dtype="<f2").tobytes())
    pos = {t: i for i, t in enumerate(terms)}
    tt = [t for t in p.title if t in pos]
    out.append(struct.pack("<H", len(tt)))
    out.append(np.asarray([pos[t] for t in tt], dtype="<u2").tobytes())
    out.append(np.asarray([p.title[t] for t in tt], dtype="<f2").tobytes())
    ents = sorted(p.ents)
    out.append(struct.pack("<H", len(ents)))
    for e in ents:
        _put_str(out, e, wide=True)
    return b"".join(out)


def decode_state(doc: StoryDoc, blob: bytes, keys: list[str]) -> _Prepared:
    import numpy as np

    magic, version, flags, seq, ts = _HEAD.unpack_from(blob, 0)
    if magic != MAGIC or version != 1:
        raise ValueError("not an akhbar story state (or an unknown version)")
    off = _HEAD.size

    def get_str(wide: bool = False) -> str:
        nonlocal off
        (n,) = struct.unpack_from("<H" if wide else "<B", blob, off)
        off += 2 if wide else 1
        s = blob[off : off + n].decode("utf-8")
        off += n
        return s

    def get_arr(dtype: str, n: int):
        nonlocal off
        a = np.frombuffer(blob, dtype=dtype, count=n, offset=off)
        off += a.nbytes
        return a

    lang = get_str()
    dup_of = get_str(wide=True) or None
    emb = get_arr("<f2", DIM).astype(np.float32) if flags & _F_EMB else None
    sig = [int(x) for x in get_arr("<u4", 128)] if flags & _F_SIG else None
    (n,) = struct.unpack_from("<H", blob, off)
    off += 2
    terms = [get_str() for _ in range(n)]
    weights = get_arr("<f2", n).astype(np.float64).tolist()
    (m,) = struct.unpack_from("<H", blob, off)
    off += 2
    idx = get_arr("<u2", m).tolist()
    tw = get_arr("<f2", m).astype(np.float64).tolist()
    (k,) = struct.unpack_from("<H", blob, off)
    off += 2
    ents = {get_str(wide=True) for _ in range(k)}
    return _Prepared(doc, ts, lang, dict(zip(terms, weights)), {terms[i]: w for i, w in zip(idx, tw)}, ents, emb, keys,
                     sig, int(seq), dup_of)


@dataclass
class _Held:
    ts: float
    blob: bytes


class StoryEngine(StoryClusterer):
    """The online story engine (see the module docstring for the contract)."""

    def __init__(self, config: ClusterConfig | None = None, embedder=None):
        super().__init__(config, embedder)
        self._lock = threading.RLock()
        self._states: dict[str, _Held] = {}
        self._state_heap: list[tuple[float, str]] = []

    # -- writing ---------------------------------------------------------------
    def add(self, doc: StoryDoc) -> Assignment:
        with self._lock:
            self._advance(_ts(doc.date))
            self.n_docs += 1
            p = self._prepare(doc)
            a = self._place(p)
            self._hold(p, encode_state(p))
            return a

    def add_many(self, docs: Iterable[StoryDoc]) -> list[Assignment]:
        """``add`` each article in order, embedding them in one batch first
        (several times cheaper per article than one by one)."""
        docs = list(docs)
        with self._lock:
            self.prefetch(docs)
            return [self.add(d) for d in docs]

    def doc_state(self, doc_id: str) -> bytes:
        with self._lock:
            return self._states[doc_id].blob

    def restore(self, items: Iterable[tuple[StoryDoc, bytes, str | None]]) -> int:
        """Rebuild the window from ``(doc, doc_state bytes, story_id)`` items
        (see the module docstring for which articles to feed). Returns how
        many were restored. Call it on a fresh engine, before any ``add``.
        An item whose state is None or unreadable (another format version)
        is placed again with ``add`` after the others (its embedding is
        recomputed)."""
        with self._lock:
            rows, redo = [], []
            for doc, blob, sid in items:
                try:
                    p = decode_state(doc, bytes(blob), self._keys_of(doc))
                except (TypeError, ValueError, struct.error, UnicodeDecodeError):
                    redo.append(doc)  # no state, or another version's: computed again below
                    continue
                rows.append((p.seq, p.doc.id, p, blob, sid))
            rows.sort(key=lambda r: (r[0], r[1]))
            for seq, _, p, blob, sid in rows:
                self._advance(p.ts)
                self.n_docs += 1
                self.seq = max(self.seq, seq + 1)
                self._learn_df(p.lex.keys(), p.ts, seq)
                sid = self.resolve(sid or self.doc_story.get(p.dup_of or "", "") or story_id_for(p.doc.id))
                st = self.stories.get(sid)
                if st is None:
                    self._new_story(p, sid)
                else:
                    self._attach(p, st, dup_of=p.dup_of if p.dup_of in self.doc_story else None)
                self._hold(p, bytes(blob))
            redo.sort(key=lambda d: (_ts(d.date), d.id))
            if redo:
                self.prefetch(redo)
            for doc in redo:
                self.add(doc)
            return len(rows) + len(redo)

    def evict(self, before: datetime) -> int:
        """Close stories whose newest article is older than *before*, forget
        older articles; returns the number of stories closed."""
        with self._lock:
            return self._evict_before(_ts(before))

    def _hold(self, p: _Prepared, blob: bytes) -> None:
        self._states[p.doc.id] = _Held(p.ts, blob)
        heapq.heappush(self._state_heap, (p.ts, p.doc.id))

    def _evict_before(self, horizon: float) -> int:
        n = super()._evict_before(horizon)
        heap = self._state_heap
        while heap and heap[0][0] < horizon:
            ts, doc_id = heapq.heappop(heap)
            held = self._states.get(doc_id)
            if held is not None and held.ts == ts:
                del self._states[doc_id]
        return n

    # -- reading ---------------------------------------------------------------
    def story_of(self, doc_id: str) -> str | None:
        """The current story id of an article still in the window."""
        with self._lock:
            sid = self.doc_story.get(doc_id)
            return self.resolve(sid) if sid else None

    def story(self, story_id: str) -> Story | None:
        with self._lock:
            return super().story(story_id)

    def card(self, story_id: str, lang: str | None = None) -> dict | None:
        """Headline, summary, sources, languages, timeline (akhbar.stories.summary.card)."""
        from akhbar.stories.summary import card

        with self._lock:
            return card(self, story_id, lang)

    def stats(self) -> dict:
        with self._lock:
            return {"live_stories": len(self.stories), "indexed_terms": len(self._postings), "dedup_entries": len(self.dedup),
                    "df_terms": len(self.df), "df_docs": self.df_n, "held_states": len(self._states), "seq": self.seq}
