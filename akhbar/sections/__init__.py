"""Sections: akhbar's fixed taxonomy, the mapping of outlet labels onto it,
and `classify_article`, the trained classifier's entry point for the
pipeline (model and figures: ``akhbar/sections/model/README.md``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from akhbar.text.normalize import normalize_key


@dataclass(frozen=True)
class Section:
    slug: str
    ar: str
    fr: str
    en: str

    def name(self, ui: str) -> str:
        return getattr(self, ui, self.en)


TAXONOMY: dict[str, Section] = {
    s.slug: s
    for s in (
        Section("politics", "سياسة", "Politique", "Politics"),
        Section("economy", "اقتصاد", "Économie", "Economy"),
        Section("sports", "رياضة", "Sport", "Sports"),
        Section("technology", "تكنولوجيا", "Technologie", "Technology"),
        Section("culture", "ثقافة وفن", "Culture", "Culture & Arts"),
        Section("society", "مجتمع", "Société", "Society"),
        Section("health", "صحة", "Santé", "Health"),
        Section("misc", "منوعات", "Divers", "Miscellaneous"),
    )
}

# Outlet and corpus labels seen in the wild -> slug. Keys are normalize_key'd.
_LABELS = {
    # ANT corpora desks (see docs/architecture.md for the mapping rationale)
    "internationalnews": "politics", "middleeast": "politics", "politic": "politics",
    "localnews": "society", "sport": "sports", "diverse": "misc",
    # common feed categories
    "politics": "politics", "politique": "politics", "world": "politics", "monde": "politics",
    "international": "politics", "سياسه": "politics", "اخبار العالم": "politics",
    "العالم": "politics", "عربي ودولي": "politics", "الشرق الاوسط": "politics",
    "business": "economy", "economie": "economy", "اقتصاد": "economy", "مال واعمال": "economy",
    "sports": "sports", "رياضه": "sports",
    "tech": "technology", "science": "technology", "sciences": "technology",
    "تكنولوجيا": "technology", "علوم وتكنولوجيا": "technology", "تقنيه": "technology",
    "arts": "culture", "ثقافه": "culture", "ثقافه وفن": "culture", "فن": "culture",
    "societe": "society", "مجتمع": "society",
    "sante": "health", "صحه": "health",
    "منوعات": "misc", "divers": "misc", "lifestyle": "misc",
}
_LABELS.update({slug: slug for slug in TAXONOMY})


def section_for_label(label: str | None) -> str | None:
    """Map an outlet's section label (any language) to a taxonomy slug."""
    if not label:
        return None
    key = normalize_key(label)
    return _LABELS.get(key) or _LABELS.get(key.replace(" ", ""))


def section_name(slug: str | None, ui: str = "ar") -> str | None:
    sec = TAXONOMY.get(slug or "")
    return sec.name(ui) if sec else None


# ---------------------------------------------------------------------------
# The classifier, for the pipeline
# ---------------------------------------------------------------------------

_log = logging.getLogger(__name__)
_model_lock = threading.Lock()
_classifier = None  # SectionClassifier once loaded
_load_error: str | None = None  # set when the artifact could not be loaded


def _shipped_classifier():
    """The shipped model, loaded once (thread-safe); None if it cannot be."""
    global _classifier, _load_error
    clf = _classifier
    if clf is not None or _load_error is not None:
        return clf
    with _model_lock:
        if _classifier is None and _load_error is None:
            try:
                from akhbar.sections.classifier import SectionClassifier  # noqa: PLC0415 (numpy only when used)

                _classifier = SectionClassifier.load()
            except Exception as exc:  # noqa: BLE001 (missing or unreadable artifact: degrade, never crash ingest)
                _load_error = f"{type(exc).__name__}: {exc}"
                _log.error("section model unavailable, sections come from feeds/sources only: %s", _load_error)
        return _classifier


def classify_article(
    title: str, text: str, lang: str | None, prior: str | None = None
) -> tuple[str | None, float]:
    """File one article under a taxonomy slug: ``(slug, confidence)``.

    * Arabic text (``lang`` "ar", "ar-XX", an ISO 639-3 Arabic variety such
      as "arz", or undeclared, with at least half of the words in Arabic
      script in every case): the trained model's section, with its
      calibrated probability as confidence (0-1). When that probability is
      below the fallback threshold (chosen on development data) the answer is
      ``("misc", p)``: an unsure guess goes to منوعات.
    * ``prior``: a slug (or any outlet label `section_for_label` knows, e.g.
      "Sport", "اقتصاد") from the feed category or the source's configured
      section. It multiplies that section's probability by a fixed factor
      (4): it settles close calls and never overturns a confident prediction
      (one above 0.8).
      Unknown labels are ignored.
    * French, English or any other declared non-Arabic language, text with
      too little Arabic, or no words at all (empty title and text): the model
      cannot judge, so the answer is ``(prior, 0.5)`` when a prior is given,
      else ``(None, 0.0)`` -- never ``misc``; the caller leaves the section
      empty.
    * The model artifact missing or unreadable: logged once, then treated like
      the case above (prior or None). Never raises for any str/None input.

    The model is loaded lazily on the first call (once, under a lock) and
    shared by all threads; a call costs well under a millisecond for a typical
    article (text cut to its first 400 words).
    """
    title = title if isinstance(title, str) else ""
    text = text if isinstance(text, str) else ""
    prior_slug = (prior if prior in TAXONOMY else section_for_label(prior)) if isinstance(prior, str) else None
    clf = _shipped_classifier()
    if clf is None:
        return (prior_slug, 0.5) if prior_slug else (None, 0.0)
    try:
        return clf.classify(title, text, lang, prior_slug)
    except Exception:  # noqa: BLE001 (a classifier bug must not stop ingestion)
        _log.exception("section classifier failed on %r", title[:80])
        return (prior_slug, 0.5) if prior_slug else (None, 0.0)
