"""The few hashtags that say what an article is about (pure, given the models).

Entities are found in the title and the first part of the text, grouped
into one cluster per name (a surname alone joins the full name, a Latin
spelling joins the Arabic one it transliterates or glosses, a country named
in any language joins its CLDR Arabic name), scored (title and lead weigh
more, repeated names more) and the best few become hashtags. Feed
categories that are not sections join as key topics. Generic words never
become hashtags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from akhbar.entities.extract import entities as find_entities
from akhbar.entities.ner import Entity
from akhbar.hashtags.canon import cldr_canonical, same_name, script_of, spelling_key
from akhbar.text.hashtags import hashtags_from_labels, to_hashtag

MAX_ENTITY_TAGS = 5
MAX_TAGS = 8
ANALYSIS_CHARS = 1500  # salient names are in the title and the first paragraphs
LEAD_CHARS = 400
MIN_SCORE = 2.0
_WEIGHT_TITLE, _WEIGHT_LEAD, _WEIGHT_BODY = 3.0, 2.0, 1.0
_TYPE_WEIGHT = {"PERS": 1.0, "ORG": 1.0, "LOC": 0.9, "MISC": 0.6}

# Words a tagger may mark as names but that never make a useful hashtag.
GENERIC = frozenset(
    spelling_key(w)
    for w in (
        "المملكة الجمهورية الإمارة الحكومة الرئيس الوزير الوزارة الدولة البلاد العالم الشرطة الجيش البرلمان الأمم المتحدة العاصمة "
        "المدينة المنطقة الشعب الرئاسة المجلس اللجنة الشركة الموقع الصحيفة الوكالة القناة اليوم أمس "
        "غدا العام الشهر الأسبوع السبت الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة الله "
        "Government President Minister Ministry State Country World Police Army Parliament Today "
        "Gouvernement Président Ministre Ministère État Pays Monde Police Armée Parlement "
        "AFP Reuters"  # wire agencies are sources, not topics
    ).split()
) - {""} | frozenset(
    spelling_key(name)
    # wire agencies by their full names too (every outlet cites them: a tag
    # on half the stream says nothing about a story)
    for name in (
        "رويترز", "رويتر", "فرانس برس", "وكالة فرانس برس", "أ ف ب", "أسوشيتد برس", "أسوشيتدبرس",
        "وكالة أسوشيتد برس", "الأناضول", "وكالة الأناضول", "شينخوا", "وكالة شينخوا", "د ب أ",
        "وكالة الأنباء الألمانية", "وكالة الأنباء الفرنسية", "Associated Press", "AP", "Agence France-Presse",
        "Anadolu", "Xinhua", "dpa", "EFE", "ANSA",
    )
)
_NISBA = re.compile(r"(?:ي|ية|يه|يين|يون|يان)$")
_CLITIC_PREFIXES = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")


@dataclass
class Mention:
    text: str
    type: str
    start: int
    end: int
    weight: float


@dataclass
class Cluster:
    mentions: list[Mention] = field(default_factory=list)
    type: str = "MISC"
    display: str = ""
    score: float = 0.0

    def names(self) -> list[str]:
        return [m.text for m in self.mentions]


@dataclass
class ArticleTags:
    """What analysis found: hashtags (best first), each one's entity type
    ('topic' for feed categories), alias evidence (alias, canonical) seen
    inside the article, and the raw entities with offsets into the title
    + text that was analysed."""

    tags: list[str]
    kinds: dict[str, str]
    aliases: list[tuple[str, str]]
    entities: list[Entity]
    surnames: dict[str, str] = field(default_factory=dict)  # person tag -> its surname as written


def _weight(start: int, title_len: int) -> float:
    if start < title_len:
        return _WEIGHT_TITLE
    if start < title_len + LEAD_CHARS:
        return _WEIGHT_LEAD
    return _WEIGHT_BODY


def _unclitic(name: str, known_first: set[str]) -> str:
    """'وبوقادوم' -> 'بوقادوم' when the bare form is also named in the article;
    'للجزائر' -> 'الجزائر'."""
    first, _, rest = name.partition(" ")
    if first.startswith("لل") and len(first) > 4:
        bare = "ال" + first[2:]
        return f"{bare} {rest}".strip()
    for p in _CLITIC_PREFIXES:
        if first.startswith(p) and len(first) - len(p) >= 3:
            bare = first[len(p):]
            if spelling_key(bare) in known_first or bare.startswith("ال") or cldr_canonical(f"{bare} {rest}".strip()):
                return f"{bare} {rest}".strip()
    return name


def _usable(name: str, typ: str) -> bool:
    key = spelling_key(name)
    if len(key) < 2 or key.isdigit() or key in GENERIC:
        return False
    # a lone adjective of origin (الجزائري, الفرنسية) is not a name
    if " " not in name and script_of(name) == "ar" and _NISBA.search(name) and not cldr_canonical(name):
        if typ == "MISC" or _nisba_of_country(name):
            return False
    return True


def _nisba_of_country(word: str) -> bool:
    """الجزائري، الروسي، الأمريكي: an adjective of a country CLDR names
    (with or without its article: الجزائر but روسيا)."""
    stem = _NISBA.sub("", word)
    stems = {stem, stem[2:]} if stem.startswith("ال") and len(stem) > 3 else {stem}
    return any(cldr_canonical(s + end) for s in stems for end in ("", "ا", "يا", "ية", "ه"))


def _display(cluster: Cluster) -> str:
    # Arabic spelling first (the site speaks Arabic), the most repeated,
    # then the longest (the full name over a surname)
    country = next(filter(None, map(cldr_canonical, cluster.names())), None)
    if country:
        return country
    names = cluster.names()
    ar = [n for n in names if script_of(n) == "ar"] or names
    best = max(ar, key=lambda n: (len(n.split()), ar.count(n), len(n)))
    return to_hashtag(best) or ""


def cluster_mentions(mentions: list[Mention]) -> tuple[list[Cluster], list[tuple[str, str]]]:
    clusters: list[Cluster] = []
    by_key: dict[str, Cluster] = {}
    # longest names first, so a surname finds its full name
    for m in sorted(mentions, key=lambda m: (-len(m.text.split()), m.start)):
        country = cldr_canonical(m.text)
        key = "cldr:" + country if country else spelling_key(m.text)
        c = by_key.get(key)
        if c is None and not country:
            words = m.text.split()
            for other in clusters:
                if m.type == "PERS" and len(words) == 1 and other.type == "PERS":
                    # a surname (or a Latin surname) alone joins the full name
                    if any(spelling_key(n.split()[-1]) == key or same_name(n.split()[-1], m.text) for n in other.names() if len(n.split()) > 1):
                        c = other
                        break
                if script_of(m.text) != script_of(other.mentions[0].text) and any(same_name(m.text, n) for n in other.names()):
                    c = other
                    break
        if c is None:
            c = Cluster(type=m.type)
            clusters.append(c)
        by_key.setdefault(key, c)
        c.mentions.append(m)
    aliases: list[tuple[str, str]] = []
    for c in clusters:
        c.display = _display(c)
        types = [m.type for m in c.mentions]
        c.type = max(sorted(set(types)), key=lambda t: (types.count(t), t != "MISC"))
        c.score = sum(m.weight for m in c.mentions) * _TYPE_WEIGHT.get(c.type, 0.6)
        for n in set(c.names()):
            tag = to_hashtag(n)
            if tag and c.display and spelling_key(tag) != spelling_key(c.display) and script_of(n) != script_of(c.display):
                # a Latin spelling of this Arabic name (or a country's
                # other-language name): evidence for an alias across scripts
                aliases.append((tag, c.display))
    return clusters, sorted(set(aliases))


def _glossed(doc: str, ents: list[Entity]) -> list[tuple[Entity, Entity]]:
    """'ديفينس سكوب (DefenseScoop)', 'حلف شمال الأطلسي "الناتو"': a name in
    brackets or quotes right after another glosses it, whether or not the
    spellings transliterate."""
    out = []
    for a, b in zip(ents, ents[1:]):
        gap = doc[a.end : b.start]
        if re.fullmatch(r"\s*[(\[«\"“]\s*", gap) and script_of(a.text) == "ar" and script_of(b.text) in ("ar", "latn"):
            out.append((a, b))
    return out


def article_hashtags(title: str, text: str, lang: str | None, labels: list[str] | tuple = (),
                     source_name: str | None = None) -> ArticleTags:
    """The salient hashtags of one article (see module doc). An outlet's own
    name (*source_name*, from its credits line) is not a topic of its article."""
    title = title or ""
    doc = f"{title}\n\n{(text or '')[:ANALYSIS_CHARS]}"
    ents = find_entities(doc, lang)
    known_first = {spelling_key(e.text.split()[0]) for e in ents if e.text.split()}
    own = {spelling_key(source_name)} if source_name else set()
    mentions = []
    for e in ents:
        name = _unclitic(e.text, known_first) if script_of(e.text) == "ar" else e.text
        if _usable(name, e.type) and spelling_key(name) not in own:
            mentions.append(Mention(name, e.type, e.start, e.end, _weight(e.start, len(title))))
    clusters, aliases = cluster_mentions(mentions)

    # a bracketed Latin gloss joins its Arabic name's cluster
    index = {id(m): c for c in clusters for m in c.mentions}
    by_span = {(m.start, m.end): m for c in clusters for m in c.mentions}
    for a, b in _glossed(doc, ents):
        ma, mb = by_span.get((a.start, a.end)), by_span.get((b.start, b.end))
        if ma and mb and index[id(ma)] is not index[id(mb)]:
            ca, cb = index[id(ma)], index[id(mb)]
            if script_of(b.text) == "ar" and cb.display:
                # an Arabic gloss is the short name readers use (الناتو)
                ca, cb = cb, ca
            ca.mentions.extend(cb.mentions)
            ca.score += cb.score
            for m in cb.mentions:
                index[id(m)] = ca
            old = cb.display
            cb.mentions = []
            if ca.display and old and spelling_key(old) != spelling_key(ca.display):
                aliases.append((old, ca.display))
    clusters = [c for c in clusters if c.mentions and c.display]

    ranked = sorted(clusters, key=lambda c: (-c.score, min(m.start for m in c.mentions)))
    tags: list[str] = []
    kinds: dict[str, str] = {}
    surnames: dict[str, str] = {}
    seen: set[str] = set()
    for c in ranked:
        if c.score < MIN_SCORE or len(tags) >= MAX_ENTITY_TAGS:
            break
        k = spelling_key(c.display)
        if k not in seen:
            seen.add(k)
            tags.append(c.display)
            kinds[c.display] = c.type
            full = [n for n in c.names() if len(n.split()) > 1]
            if c.type == "PERS" and full:
                surnames[c.display] = max(full, key=len).split()[-1]
    for label in hashtags_from_labels(labels):
        if len(tags) >= MAX_TAGS:
            break
        country = cldr_canonical(label)
        label = country or label
        k = spelling_key(label)
        if k in seen or k in GENERIC or len(k) < 2:
            continue
        seen.add(k)
        tags.append(label)
        kinds[label] = "LOC" if country else "topic"
    keep = {spelling_key(t) for t in tags}
    aliases = sorted({(a, b) for a, b in aliases if spelling_key(b) in keep and spelling_key(a) != spelling_key(b)})
    return ArticleTags(tags=tags, kinds=kinds, aliases=aliases, entities=ents, surnames=surnames)
