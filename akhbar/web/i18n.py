"""Interface languages: which one a request wants, and its translations.

Catalogs are the .po files themselves, compiled in memory at start-up,
so there is no build step and no binary .mo in the repository. Message
ids are English: an untranslated string falls back to English.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context

LOCALES_DIR = Path(__file__).parent / "locales"
UI_LANGS = ("ar", "fr", "en")
UI_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}  # each in its own language
COOKIE = "akhbar_ui"
_RTL = {"ar", "fa", "he", "ps", "ur", "ckb", "yi", "dv"}


def text_dir(lang: str | None) -> str:
    """'rtl', 'ltr', or 'auto' when the language is unknown."""
    if not lang:
        return "auto"
    return "rtl" if lang.replace("_", "-").split("-")[0].lower() in _RTL else "ltr"


def compile_po(path: Path) -> Translations:
    """Parse a .po file and load it as gettext translations, in memory."""
    with path.open("rb") as f:
        catalog = read_po(f)
    buf = BytesIO()
    write_mo(buf, catalog)  # drops untranslated and fuzzy entries
    buf.seek(0)
    return Translations(buf)


@lru_cache(maxsize=None)
def load_translations(locales_dir: Path = LOCALES_DIR) -> dict[str, NullTranslations]:
    out: dict[str, NullTranslations] = {}
    for lang in UI_LANGS:
        po = locales_dir / f"{lang}.po"
        out[lang] = compile_po(po) if po.exists() else NullTranslations()
    return out


def choose_ui(query_ui: str | None, cookie_ui: str | None, default: str = "ar") -> str:
    """?ui= wins, then the cookie, then the configured default."""
    for candidate in (query_ui, cookie_ui, default):
        if candidate in UI_LANGS:
            return candidate
    return "ar"


# The gettext callables read the request's catalog from the render
# context, so one shared Environment serves concurrent requests in
# different languages (a global install would race between threads).
@pass_context
def _gettext(ctx, message: str) -> str:
    return _catalog(ctx).gettext(message)


@pass_context
def _ngettext(ctx, singular: str, plural: str, n: int) -> str:
    return _catalog(ctx).ngettext(singular, plural, n)


def _catalog(ctx) -> NullTranslations:
    t = ctx.get("translations")
    if t is None:  # a macro imported without context would lose its language
        raise RuntimeError("template rendered without 'translations' (import macros 'with context')")
    return t


def install_i18n(env: Environment) -> None:
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)
