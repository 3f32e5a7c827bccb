"""`akhbar parse-date`: ISO 8601 out, or a non-zero exit with the reason."""

from click.testing import CliRunner

from akhbar.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_parse_date_prints_iso():
    res = run("parse-date", "الخميس ١٣ مارس ٢٠٢٥ - ١٤:٣٠", "--tz", "Africa/Algiers")
    assert res.exit_code == 0 and res.output.strip() == "2025-03-13T13:30:00+00:00"
    res = run("parse-date", "منذ 3 ساعات", "--ref", "2025-03-13T12:00:00+00:00")
    assert res.output.strip() == "2025-03-13T09:00:00+00:00"
    res = run("parse-date", "22 يناير/كانون الثاني", "--ref", "2025-01-05T00:00:00Z")
    assert res.output.strip().startswith("2024-01-22")


def test_parse_date_fails_clearly():
    res = run("parse-date", "مارس 3 أنشطة")
    assert res.exit_code != 0 and "Error:" in res.output
    res = run("parse-date", "13 mars 2025", "--ref", "yesterday")
    assert res.exit_code == 2 and "ISO 8601" in res.output
