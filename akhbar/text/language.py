"""Language identification restricted to the languages akhbar serves."""

from __future__ import annotations

import threading

SUPPORTED = ("ar", "fr", "en")

_lock = threading.Lock()
_identifier = None


def _get_identifier():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            # from_modelpath breaks on relative paths; from_model_file is safe.
            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(list(SUPPORTED))
            _identifier = ident
        return _identifier


def detect_language(text: str, hint: str | None = None) -> str | None:
    """Return 'ar', 'fr' or 'en' for *text*, or *hint* when text is too short.

    A feed's declared language is only a hint: outlets mislabel often.
    """
    hint = (hint or "").split("-")[0].lower() or None
    sample = (text or "").strip()[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < 12:
        return hint if hint in SUPPORTED else (hint or None)
    lang, prob = _get_identifier().classify(sample)
    if hint in SUPPORTED and prob < 0.6:
        return hint
    return lang
