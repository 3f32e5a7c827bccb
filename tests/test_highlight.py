"""Search snippets: the query's words marked where a reader sees them."""

from akhbar.search.highlight import highlight
from akhbar.text.analyze import positive_terms, query_terms


def marked(text: str, query: str, lang: str = "ar") -> str:
    return highlight(text, positive_terms(query_terms(query, lang)), lang)


def test_every_form_of_a_query_word_is_marked_and_nothing_else():
    out = marked("أعلنت الحكومة، ثم قالت حكومة أخرى: الحكومات تتفق. حكومةٌ", "حكومة")
    assert out.count("<mark>") == 4
    assert "<mark>الحكومة</mark>،" in out and "<mark>حكومة</mark> أخرى" in out
    assert "<mark>حكومةٌ</mark>" in out  # a word with its mark is one word


def test_a_query_word_inside_a_longer_word_is_not_marked():
    # "بر" is in "البرلمان" and "بريطانيا" but is not their word
    out = marked("بر البرلمان في بريطانيا، ثم بر", "بر")
    assert out == "<mark>بر</mark> البرلمان في بريطانيا، ثم <mark>بر</mark>"
    assert marked("l'État et État-major", "état", "fr").count("<mark>") == 2


def test_the_snippet_is_html_safe_and_centred_on_the_densest_matches():
    lead = "كلمة " * 120
    text = lead + "<b>الانتخابات</b> والانتخابات & الانتخابات " + "نص " * 50
    out = marked(text, "الانتخابات")
    assert out.startswith("… ") and out.count("<mark>") == 3
    assert "&lt;b&gt;<mark>الانتخابات</mark>&lt;/b&gt;" in out and "&amp;" in out
    assert "<b>" not in out
    assert marked("", "x") == "" and marked("نص بلا تطابق", "الانتخابات") == "نص بلا تطابق"
