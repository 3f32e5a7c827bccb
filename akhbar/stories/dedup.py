"""Duplicate folding: exact keys and MinHash near-duplicates (pure, in memory).

Two kinds of duplicate are folded under one card ("also in: ..."):

* exact: the same GUID, the same canonical URL or the same content hash
  (normalized title + text, so markup or diacritics do not matter);
* near: wire copies that outlets republish with a changed headline, a
  dateline or a closing line. Word shingles of the normalized text are
  sketched with MinHash (rensa's R-MinHash; a numpy fallback with the same
  interface when rensa is missing) and looked up through an LSH band index,
  so the cost of a look-up does not depend on how many articles are indexed.

The index only holds recent articles: ``evict(before)`` drops what is older
than the clusterer's window, and ``state()``/``from_state()`` round-trip it
through JSON so the live system can persist it.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import re
from dataclasses import dataclass
from typing import Iterable

from akhbar.text.normalize import normalize_key

_WORD_RE = re.compile(r"\w+", re.UNICODE)

NUM_PERM = 128
BANDS = 32  # 32 bands x 4 rows: pairs with Jaccard >= ~0.42 collide in some band
SEED = 20180312
MIN_SHINGLES = 8  # shorter texts (a bare headline) are only folded by exact keys


def content_key(title: str, text: str) -> str:
    """Same formula as akhbar.pipeline.content_hash (sha256 of the normalized
    title and text), so the stored Article.content_hash can be passed as is."""
    key = normalize_key(f"{title}\n{text}")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def url_identity(url: str) -> str:
    from akhbar.pipeline import url_key  # the one URL identity of the project

    return url_key(url)


def shingles(text: str, k: int = 3) -> list[str]:
    """Distinct word k-shingles of the normalized text."""
    words = _WORD_RE.findall(normalize_key(text))
    if len(words) < k:
        return [" ".join(words)] if words else []
    return list({" ".join(words[i : i + k]) for i in range(len(words) - k + 1)})


# -- MinHash ------------------------------------------------------------


def _rensa_signature(tokens: list[str]) -> list[int]:
    from rensa import RMinHash

    m = RMinHash(num_perm=NUM_PERM, seed=SEED)
    m.update(tokens)
    return [int(x) for x in m.digest()]


_NP_PARAMS = None


def _numpy_signature(tokens: list[str]) -> list[int]:
    """Classic MinHash with universal hashing (used only without rensa)."""
    import numpy as np

    global _NP_PARAMS
    if _NP_PARAMS is None:
        rng = np.random.default_rng(SEED)
        prime = np.uint64((1 << 61) - 1)
        a = rng.integers(1, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
        b = rng.integers(0, (1 << 61) - 1, NUM_PERM, dtype=np.uint64)
        _NP_PARAMS = (a, b, prime)
    a, b, prime = _NP_PARAMS
    hv = np.array(
        [int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=4).digest(), "little") for t in tokens],
        dtype=np.uint64,
    )
    # (a*x + b) mod p with x < 2^32 fits in uint64 arithmetic modulo 2^64 before
    # the mod; good enough as a hash family for a fallback.
    vals = (np.outer(hv, a) + b) % prime
    return [int(v) & 0xFFFFFFFF for v in vals.min(axis=0)]


def minhash_signature(tokens: list[str]) -> list[int]:
    try:
        return _rensa_signature(tokens)
    except ImportError:  # pragma: no cover - rensa is pinned
        return _numpy_signature(tokens)


def signature_backend() -> str:
    try:
        import rensa  # noqa: F401

        return "rensa-rminhash"
    except ImportError:  # pragma: no cover
        return "numpy-minhash"


def estimate_jaccard(a: list[int], b: list[int]) -> float:
    if not a or not b:
        return 0.0
    return sum(1 for x, y in zip(a, b) if x == y) / len(a)


def _bands(sig: list[int]) -> list[str]:
    rows = len(sig) // BANDS
    out = []
    for i in range(BANDS):
        chunk = sig[i * rows : (i + 1) * rows]
        h = hashlib.blake2b(repr(chunk).encode(), digest_size=8).hexdigest()
        out.append(f"{i}:{h}")
    return out


def _pack(sig: list[int]) -> str:
    return base64.b64encode(b"".join(int(x).to_bytes(4, "little") for x in sig)).decode("ascii")


def _unpack(s: str) -> list[int]:
    raw = base64.b64decode(s)
    return [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw), 4)]


@dataclass
class DupMatch:
    doc_id: str
    kind: str  # guid | url | hash | near
    similarity: float = 1.0


class DedupIndex:
    """Exact keys and a MinHash/LSH index over recent articles."""

    def __init__(self, near_threshold: float = 0.5):
        self.near_threshold = near_threshold
        self.backend = signature_backend()
        self._exact: dict[str, str] = {}  # "guid:..", "url:..", "hash:.." -> doc id
        self._keys_of: dict[str, list[str]] = {}
        self._sig: dict[str, list[int]] = {}
        self._buckets: dict[str, list[str]] = {}
        self._time: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._time)

    # -- look-up ---------------------------------------------------------
    @staticmethod
    def exact_keys(guid: str | None, url: str | None, chash: str | None) -> list[str]:
        keys = []
        if guid:
            keys.append("guid:" + guid.strip())
        if url:
            try:
                keys.append("url:" + url_identity(url))
            except ValueError:
                pass
        if chash:
            keys.append("hash:" + chash)
        return keys

    def find(self, keys: Iterable[str], sig: list[int] | None) -> DupMatch | None:
        for key in keys:
            hit = self._exact.get(key)
            if hit is not None:
                return DupMatch(hit, key.split(":", 1)[0])
        if not sig:
            return None
        best: DupMatch | None = None
        seen: set[str] = set()
        for band in _bands(sig):
            for other in self._buckets.get(band, ()):
                if other in seen:
                    continue
                seen.add(other)
                j = estimate_jaccard(sig, self._sig[other])
                if j >= self.near_threshold and (best is None or j > best.similarity):
                    best = DupMatch(other, "near", j)
        return best

    def signature_for(self, text: str) -> list[int] | None:
        sh = shingles(text)
        if len(sh) < MIN_SHINGLES:
            return None
        return minhash_signature(sh)

    # -- updates ---------------------------------------------------------
    def add(self, doc_id: str, keys: Iterable[str], sig: list[int] | None, when: float) -> None:
        keys = [k for k in keys if k not in self._exact]
        for key in keys:
            self._exact[key] = doc_id
        self._keys_of[doc_id] = keys
        if sig:
            self._sig[doc_id] = sig
            for band in _bands(sig):
                self._buckets.setdefault(band, []).append(doc_id)
        self._time[doc_id] = when
        heapq.heappush(self._heap, (when, doc_id))

    def evict(self, before: float) -> int:
        """Forget articles dated before *before* (POSIX seconds)."""
        n = 0
        while self._heap and self._heap[0][0] < before:
            when, doc_id = heapq.heappop(self._heap)
            if self._time.get(doc_id) != when:
                continue
            self.remove(doc_id)
            n += 1
        return n

    def remove(self, doc_id: str) -> None:
        self._time.pop(doc_id, None)
        for key in self._keys_of.pop(doc_id, ()):
            if self._exact.get(key) == doc_id:
                del self._exact[key]
        sig = self._sig.pop(doc_id, None)
        if sig:
            for band in _bands(sig):
                bucket = self._buckets.get(band)
                if bucket and doc_id in bucket:
                    bucket.remove(doc_id)
                    if not bucket:
                        del self._buckets[band]

    # -- persistence -----------------------------------------------------
    def state(self) -> dict:
        return {
            "backend": self.backend,
            "near_threshold": self.near_threshold,
            "docs": [
                {"id": d, "t": t, "keys": self._keys_of.get(d, []), "sig": _pack(self._sig[d]) if d in self._sig else None}
                for d, t in self._time.items()
            ],
        }

    @classmethod
    def from_state(cls, state: dict) -> "DedupIndex":
        idx = cls(near_threshold=state.get("near_threshold", 0.5))
        same_backend = state.get("backend") == idx.backend
        for row in state.get("docs", []):
            sig = _unpack(row["sig"]) if row.get("sig") and same_backend else None
            idx.add(row["id"], row.get("keys", []), sig, row["t"])
        return idx
