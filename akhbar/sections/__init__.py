"""Sections: akhbar's fixed taxonomy and the mapping of outlet labels onto it.

The trained classifier (its own issue) will fill `section` where feeds are
silent; until then a section comes from the feed/corpus label or the
source's configured section.
"""

from __future__ import annotations

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
