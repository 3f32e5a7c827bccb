"""Word lists used by akhbar.text.analyze: stop words for ar/fr/en and the
Arabic words whose first letter looks like a clitic but belongs to the word.

The lists are Python modules (not data files) so that they ship inside the
package with no package-data entry. Their origin and licence: README.md.
Folding (hamza, ة, accents, case) is applied by analyze.py, which owns the
folding rules; these modules hold the words as written.
"""

from __future__ import annotations

from akhbar.text.stopwords import ar, ar_radicals, en, fr


def words(module) -> list[str]:
    return module.WORDS.split()


__all__ = ["ar", "ar_radicals", "en", "fr", "words"]
