"""Month, weekday and unit names as Arabic, French and English news sites write them.

Spellings are listed as written (with hamza, ة, ى); the parser folds them
with ``normalize_key`` so أبريل / إبريل / ابريل and الثانية / الثانيه are
one key. Regional sets follow CLDR (babel ar_EG, ar_LB, ar_DZ, ar_MA,
ar_MR) plus the variants seen in print (يونيه, يوليه, تشرين أول ...).
"""

from __future__ import annotations

from akhbar.text.normalize import normalize_key

# month number -> spellings, per region / language
GREGORIAN_MONTHS: dict[str, dict[int, tuple[str, ...]]] = {
    # Egypt, Gulf, Sudan, Libya (and Morocco for some months)
    "ar_eg": {
        1: ("يناير",),
        2: ("فبراير",),
        3: ("مارس",),
        4: ("أبريل", "إبريل", "ابريل"),
        5: ("مايو",),
        6: ("يونيو", "يونيه"),
        7: ("يوليو", "يوليه"),
        8: ("أغسطس", "اغسطس"),
        9: ("سبتمبر",),
        10: ("أكتوبر", "اكتوبر"),
        11: ("نوفمبر",),
        12: ("ديسمبر",),
    },
    # Levant, Iraq (Syriac names)
    "ar_lb": {
        1: ("كانون الثاني", "كانون ثاني", "كانون الثان"),
        2: ("شباط",),
        3: ("آذار",),
        4: ("نيسان",),
        5: ("أيار",),
        6: ("حزيران",),
        7: ("تموز",),
        8: ("آب",),  # never أب (father): the hamza spelling is masked before matching
        9: ("أيلول",),
        10: ("تشرين الأول", "تشرين أول", "تشرين الاول"),
        11: ("تشرين الثاني", "تشرين ثاني", "تشرين الثان"),
        12: ("كانون الأول", "كانون أول"),
    },
    # Algeria, Tunisia (French-derived)
    "ar_dz": {
        1: ("جانفي", "جانفييه"),
        2: ("فيفري", "فيفريه"),
        3: ("مارس",),
        4: ("أفريل", "افريل"),
        5: ("ماي",),
        6: ("جوان",),
        7: ("جويلية", "جويليه"),
        8: ("أوت", "اوت"),
        9: ("سبتمبر",),
        10: ("أكتوبر",),
        11: ("نوفمبر",),
        12: ("ديسمبر",),
    },
    # Morocco, Mauritania
    "ar_ma": {
        1: ("يناير",),
        2: ("فبراير",),
        3: ("مارس",),
        4: ("أبريل",),
        5: ("ماي",),
        6: ("يونيو",),
        7: ("يوليوز",),
        8: ("غشت", "أغشت"),
        9: ("شتنبر", "شتمبر"),
        10: ("أكتوبر",),
        11: ("نونبر", "نونمبر"),
        12: ("دجنبر", "دجمبر"),
    },
    "fr": {
        1: ("janvier", "janv", "jan"),
        2: ("février", "fevrier", "févr", "fevr", "fév", "fev"),
        3: ("mars",),
        4: ("avril", "avr"),
        5: ("mai",),
        6: ("juin",),
        7: ("juillet", "juil", "juill"),
        8: ("août", "aout"),
        9: ("septembre", "sept"),
        10: ("octobre", "oct"),
        11: ("novembre", "nov"),
        12: ("décembre", "decembre", "déc", "dec"),
    },
    "en": {
        1: ("January", "Jan"),
        2: ("February", "Feb"),
        3: ("March", "Mar"),
        4: ("April", "Apr"),
        5: ("May",),
        6: ("June", "Jun"),
        7: ("July", "Jul"),
        8: ("August", "Aug"),
        9: ("September", "Sept", "Sep"),
        10: ("October", "Oct"),
        11: ("November", "Nov"),
        12: ("December", "Dec"),
    },
}

# Hijri (Islamic) months, with the honorifics and case variants seen in print.
HIJRI_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("محرم", "المحرم", "محرم الحرام"),
    2: ("صفر", "صفر الخير"),
    3: ("ربيع الأول", "ربيع أول", "ربيع الاول"),
    4: ("ربيع الآخر", "ربيع الثاني", "ربيع آخر", "ربيع ثاني", "ربيع الأخير"),
    5: ("جمادى الأولى", "جمادى الأول", "جمادى أولى", "جمادى الاولى", "جمادي الأولى"),
    6: ("جمادى الآخرة", "جمادى الثانية", "جمادى الآخر", "جمادى الثاني", "جمادى الأخرى", "جمادى آخرة"),
    7: ("رجب", "رجب المرجب", "رجب الفرد"),
    8: ("شعبان", "شعبان المعظم"),
    9: ("رمضان", "رمضان المبارك", "رمضان المعظم"),
    10: ("شوال", "شوّال"),
    11: ("ذو القعدة", "ذي القعدة", "ذا القعدة", "ذوالقعدة", "ذي القعده"),
    12: ("ذو الحجة", "ذي الحجة", "ذا الحجة", "ذوالحجة"),
}

# Hijri month names that are also ordinary words (صفر "zero", رجب a given
# name): accepted only with a year, never alone with a day.
HIJRI_NEEDS_YEAR = frozenset({2, 7})

# Python weekday(): Monday = 0
WEEKDAYS: dict[int, tuple[str, ...]] = {
    0: ("الاثنين", "الإثنين", "اثنين", "lundi", "Monday", "Mon"),
    1: ("الثلاثاء", "ثلاثاء", "mardi", "Tuesday", "Tue", "Tues"),
    2: ("الأربعاء", "الاربعاء", "أربعاء", "mercredi", "Wednesday", "Wed"),
    3: ("الخميس", "خميس", "jeudi", "Thursday", "Thu", "Thur", "Thurs"),
    4: ("الجمعة", "جمعة", "vendredi", "Friday", "Fri"),
    5: ("السبت", "سبت", "samedi", "Saturday", "Sat"),
    6: ("الأحد", "الاحد", "أحد", "dimanche", "Sunday", "Sun"),
}

# Coptic months (Egyptian print editions carry them as a third calendar);
# recognised only so that they are never taken for something else.
COPTIC_MONTHS: tuple[str, ...] = (
    "توت", "بابه", "هاتور", "كيهك", "طوبة", "أمشير", "برمهات", "برمودة", "بشنس", "بؤونة",
    "أبيب", "مسرى", "النسيء",
)

# Time zones named in Arabic / French datelines ("بتوقيت مكة", "heure de Paris").
ZONE_NAMES: dict[str, str] = {
    "غرينتش": "UTC", "غرينيتش": "UTC", "جرينتش": "UTC", "جرينيتش": "UTC", "غرنتش": "UTC",
    "مكة": "Asia/Riyadh", "مكة المكرمة": "Asia/Riyadh", "الرياض": "Asia/Riyadh", "السعودية": "Asia/Riyadh",
    "القاهرة": "Africa/Cairo", "مصر": "Africa/Cairo",
    "بيروت": "Asia/Beirut", "لبنان": "Asia/Beirut",
    "دمشق": "Asia/Damascus", "سوريا": "Asia/Damascus",
    "بغداد": "Asia/Baghdad", "العراق": "Asia/Baghdad",
    "القدس": "Asia/Jerusalem", "فلسطين": "Asia/Gaza", "غزة": "Asia/Gaza",
    "الدوحة": "Asia/Qatar", "قطر": "Asia/Qatar",
    "أبوظبي": "Asia/Dubai", "أبو ظبي": "Asia/Dubai", "دبي": "Asia/Dubai", "الإمارات": "Asia/Dubai",
    "الكويت": "Asia/Kuwait", "المنامة": "Asia/Bahrain", "البحرين": "Asia/Bahrain", "مسقط": "Asia/Muscat",
    "الرباط": "Africa/Casablanca", "المغرب": "Africa/Casablanca",
    "الجزائر": "Africa/Algiers", "تونس": "Africa/Tunis", "طرابلس": "Africa/Tripoli", "الخرطوم": "Africa/Khartoum",
    "باريس": "Europe/Paris", "لندن": "Europe/London",
    "paris": "Europe/Paris", "londres": "Europe/London", "alger": "Africa/Algiers", "tunis": "Africa/Tunis",
    "rabat": "Africa/Casablanca",
}

# Abbreviations found after times in RFC 822 and English datelines (fixed offsets, hours).
ZONE_ABBREVIATIONS: dict[str, float] = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "west": 1, "bst": 1,
    "cet": 1, "cest": 2, "eet": 2, "eest": 3, "msk": 3,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}


def folded(names) -> list[str]:
    return sorted({normalize_key(n) for n in names}, key=lambda s: (-len(s), s))


def month_lookup() -> dict[str, tuple[str, int]]:
    """Folded name -> ("g" | "h", month)."""
    out: dict[str, tuple[str, int]] = {}
    for table in GREGORIAN_MONTHS.values():
        for month, names in table.items():
            for n in names:
                out[normalize_key(n)] = ("g", month)
    for month, names in HIJRI_MONTHS.items():
        for n in names:
            key = normalize_key(n)
            if out.get(key, ("h",))[0] != "h":
                raise ValueError(f"{n!r} is both a Gregorian and a Hijri month")
            out[key] = ("h", month)
    return out
