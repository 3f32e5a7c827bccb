"""Arabic-aware normalization for *keys* (search terms, tag identities).

Display text is never altered; only the keys derived from it are. One
function, used by indexing and querying alike, so both sides agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters NFD does not unify with their base form.
_LETTER_MAP = str.maketrans(
    {
        "\u0649": "\u064a",  # ى alef maqsura -> ي
        "\u0629": "\u0647",  # ة ta marbuta -> ه
        "\u0671": "\u0627",  # ٱ alef wasla -> ا
        "\u06a9": "\u0643",  # ک keheh -> ك
        "\u06cc": "\u064a",  # ی farsi yeh -> ي
        "\u06d5": "\u0647",  # ە (from ۀ after NFD) -> ه
        "\u06c1": "\u0647",  # ہ heh goal -> ه
        "\u0640": None,  # tatweel
    }
)

_SPACE_RE = re.compile(r"\s+")


def _strip_marks(text: str) -> str:
    # NFD splits أ إ آ ؤ ئ into base letter + hamza/madda mark, so dropping
    # every combining mark unifies alef and hamza seats and removes tashkeel
    # and Latin accents in one pass. Cf covers ZWJ/ZWNJ, LRM/RLM/ALM and the
    # bidi embeddings/isolates.
    out = []
    for ch in unicodedata.normalize("NFD", text):
        cat = unicodedata.category(ch)
        if cat == "Mn" or cat == "Cf":
            continue
        if cat == "Nd":
            ch = str(unicodedata.digit(ch))
        out.append(ch)
    return "".join(out)


@lru_cache(maxsize=65536)
def normalize_key(text: str) -> str:
    """Fold *text* to its comparison key.

    NFKC (presentation forms), tashkeel/tatweel/accents and invisible
    controls removed, alef and hamza seats unified, ى->ي, ة->ه, Persian
    letters mapped, every decimal digit script -> ASCII, case folded,
    whitespace collapsed.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _strip_marks(text).translate(_LETTER_MAP).casefold()
    return _SPACE_RE.sub(" ", text).strip()


def clean_display(text: str) -> str:
    """Tidy text for display: NFC, invisible junk trimmed, spaces collapsed.

    Unlike normalize_key this keeps every letter and mark as written.
    """
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\u00a0", " ").replace("\ufeff", "")
    return _SPACE_RE.sub(" ", text).strip()
