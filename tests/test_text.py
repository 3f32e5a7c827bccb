"""Keys, hashtags and language: real Arabic, French and English strings."""

import pytest

from akhbar.text.hashtags import hashtag_key, hashtags_from_labels, to_hashtag
from akhbar.text.language import detect_language
from akhbar.text.normalize import clean_display, normalize_key


@pytest.mark.parametrize("a,b", [
    ("أحمد", "احمد"), ("إسرائيل", "اسرائيل"), ("آذار", "اذار"), ("ٱلله", "الله"),
    ("مستشفى", "مستشفي"), ("الحكومة", "الحكومه"), ("مُحَمَّد", "محمد"), ("الجـــزائر", "الجزائر"),
    ("مؤتمر", "موتمر"), ("رئيس", "رييس"), ("ﻻ", "لا"), ("کتاب", "كتاب"), ("ی", "ي"),
    ("٢٠٢٥", "2025"), ("۲۰۲۵", "2025"), ("Algérie", "algerie"), ("\u200fمرحبا\u200e", "مرحبا"),
])
def test_normalize_key_unifies_spellings(a, b):
    assert normalize_key(a) == normalize_key(b)


def test_display_text_is_not_altered_beyond_whitespace():
    assert clean_display("  مُحَمَّد\u00a0 أحمد ") == "مُحَمَّد أحمد"


@pytest.mark.parametrize("label,tag", [
    ("ديفينس سكوب", "ديفينسسكوب"), ("الشرق-الأوسط", "الشرقالأوسط"), ("#Défense", "Défense"),
    ("كُرَة القدم", "كرةالقدم"), ("ـــ", None), ("2025", None), ("", None), ("x" * 61, None),
])
def test_to_hashtag(label, tag):
    assert to_hashtag(label) == tag


def test_hashtag_keys_merge_spelling_variants():
    assert hashtag_key("ديفينس سكوب") == hashtag_key("#ديفينسسكوب") == hashtag_key("ديفينسسكوب")
    assert hashtag_key("أخبار") == hashtag_key("اخبار")


def test_labels_split_and_deduplicate():
    assert hashtags_from_labels(["سياسة، اقتصاد", "سياسه", "World; Africa"]) == ["سياسة", "اقتصاد", "World", "Africa"]


@pytest.mark.parametrize("text,lang", [
    ("قال السفير الجزائري إن المحادثات مع الولايات المتحدة تناولت صفقات السلاح", "ar"),
    ("L'ambassadeur d'Algérie a évoqué les discussions avec les États-Unis sur les armes", "fr"),
    ("Algeria's ambassador discussed arms talks with the United States on Thursday", "en"),
])
def test_language_detection(text, lang):
    assert detect_language(text) == lang


def test_short_text_uses_the_hint():
    assert detect_language("OK", hint="fr-FR") == "fr"
