"""Charset decoding: header, BOM, XML declaration, late <meta>, detection."""

from akhbar.fetching import decode_body

AR = "أعلنت الحكومة الجزائرية اليوم عن خطة جديدة لدعم الاقتصاد الوطني وتحسين الخدمات العامة في الولايات الجنوبية"


def test_http_header_charset_wins():
    text, codec = decode_body(AR.encode("cp1256"), "text/html; charset=windows-1256")
    assert text == AR and codec == "cp1256"


def test_xml_declaration_charset():
    body = f'<?xml version="1.0" encoding="windows-1256"?><rss><title>{AR}</title></rss>'.encode("cp1256")
    assert AR in decode_body(body, "application/rss+xml")[0]


def test_meta_charset_far_past_the_first_kilobyte():
    body = ("<html><head><!--" + "x" * 5000 + f'--><meta charset="windows-1256"></head><body>{AR}</body></html>').encode("cp1256")
    text, codec = decode_body(body, "text/html")
    assert AR in text and codec == "cp1256"


def test_http_equiv_meta():
    body = f'<meta http-equiv="Content-Type" content="text/html; charset=windows-1256"><p>{AR}</p>'.encode("cp1256")
    assert AR in decode_body(body)[0]


def test_undeclared_windows_1256_is_detected():
    body = f"<rss><item><title>{AR}</title><description>{AR} {AR}</description></item></rss>".encode("cp1256")
    text, _ = decode_body(body, "application/xml")
    assert AR in text


def test_utf8_declared_as_latin1_is_read_as_utf8():
    # A server that lies: bytes are UTF-8, header says iso-8859-1.
    text, codec = decode_body(AR.encode("utf-8"), "text/html; charset=iso-8859-1")
    assert text == AR and codec == "utf-8"


def test_bom_and_utf16():
    assert decode_body("\ufeff".encode("utf-8") + AR.encode("utf-8"))[0] == AR
    assert decode_body(AR.encode("utf-16"))[0] == AR


def test_invalid_bytes_never_raise():
    text, _ = decode_body(b"\x80\x81\xfd abc \xc3", "text/html; charset=utf-8")
    assert "abc" in text


def test_unknown_charset_label_falls_through():
    text, _ = decode_body(AR.encode("utf-8"), "text/html; charset=x-no-such-charset")
    assert text == AR
