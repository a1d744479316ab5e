"""Dates as ERPs write them: one format chosen per column from a sample, then a cached parser.

Known formats: ISO (2024-03-05), YYYY/M/D, YYYY.M.D, YYYY年M月D日, M/D/YYYY, D/M/YYYY (also with
- or .), two-digit years, YYYYMMDD, 05-Mar-2024, Mar 5, 2024 and Excel serial numbers. When a
sample fits both month-first and day-first (03/04/2024) month-first is assumed, and the parse says
so, so that the user can choose with --date-format. A trailing time of day (00:00:00) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ISO = "%Y-%m-%d"
EXCEL = "excel"
FRIENDLY: dict[str, str] = {
    "iso": ISO, "ymd": "%Y/%m/%d", "mdy": "%m/%d/%Y", "dmy": "%d/%m/%Y", "us": "%m/%d/%Y",
    "eu": "%d.%m.%Y", "uk": "%d/%m/%Y", "cn": "%Y年%m月%d日", "compact": "%Y%m%d", "excel": EXCEL,
}
# In order of preference when several fit a sample.
CANDIDATES: tuple[str, ...] = (
    ISO, "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d",
    "%m/%d/%Y", "%d/%m/%Y", "%m-%d-%Y", "%d-%m-%Y", "%d.%m.%Y", "%m.%d.%Y",
    "%m/%d/%y", "%d/%m/%y", "%d.%m.%y", "%y-%m-%d",
    "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%d-%b-%y", "%d %B %Y", "%B %d, %Y", EXCEL,
)
DAY_FIRST_TWIN = {"%m/%d/%Y": "%d/%m/%Y", "%m-%d-%Y": "%d-%m-%Y", "%m.%d.%Y": "%d.%m.%Y",
                  "%m/%d/%y": "%d/%m/%y"}
_TIME = re.compile(r"^(.+?)[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?$")
_TOKENS = (("YYYY", "%Y"), ("yyyy", "%Y"), ("YY", "%y"), ("yy", "%y"), ("MMMM", "%B"),
           ("MMM", "%b"), ("MM", "%m"), ("M", "%m"), ("DD", "%d"), ("dd", "%d"), ("D", "%d"),
           ("d", "%d"))
_EXCEL_EPOCH = date(1899, 12, 30)


def strip_time(text: str) -> str:
    m = _TIME.match(text)
    return m.group(1) if m else text


def normalize_format(text: str) -> str:
    """A --date-format value as strptime understands it: '%m/%d/%Y', 'mdy' or 'M/D/YYYY'."""
    text = text.strip()
    if text.lower() in FRIENDLY:
        return FRIENDLY[text.lower()]
    if "%" in text:
        return text
    out, i = "", 0
    while i < len(text):
        for token, directive in _TOKENS:
            if text.startswith(token, i):
                out, i = out + directive, i + len(token)
                break
        else:
            out, i = out + text[i], i + 1
    return out


def parse_with(fmt: str, text: str) -> date | None:
    """The date `text` means in format `fmt`, or None."""
    text = strip_time(text.strip())
    if fmt == EXCEL:
        if not text.replace(".", "", 1).isdigit():
            return None
        serial = float(text)
        if not 1 <= serial < 2958466:
            return None
        return _EXCEL_EPOCH + timedelta(days=int(serial))
    if fmt == "%Y%m%d" and len(text) != 8:
        return None
    try:
        value = datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a calendar date, no zone
    except ValueError:
        return None
    if value.year < 1900:
        return None
    return value


def fits(fmt: str, samples: Iterable[str]) -> bool:
    return all(parse_with(fmt, s) is not None for s in samples)


@dataclass(frozen=True)
class DateChoice:
    fmt: str
    ambiguous: bool  # the sample fitted the day-first twin as well
    fallback: bool  # no single format fitted: each value is tried against every format


def choose_format(samples: list[str], forced: str | None = None,
                  day_first: bool | None = None) -> DateChoice:
    """The format for a column, from a sample of its non-blank values.

    The preferred format that reads the most distinct values wins; a few unreadable values are
    errors of their rows, not a reason to change the format. When no format reads 80 % of them,
    each value is read on its own (mixed formats).
    """
    if forced:
        return DateChoice(normalize_format(forced), False, False)
    distinct = list(dict.fromkeys(strip_time(s.strip()) for s in samples if s.strip()))[:500]
    if not distinct:
        return DateChoice(ISO, False, False)
    best, best_count = ISO, -1
    for fmt in CANDIDATES:
        if fmt == EXCEL and not all(s.isdigit() and len(s) == 5 for s in distinct):
            continue
        if fmt == "%Y%m%d" and not all(len(s) == 8 and s.isdigit() for s in distinct):
            continue
        count = sum(1 for s in distinct if parse_with(fmt, s) is not None)
        if count > best_count:
            best, best_count = fmt, count
        if count == len(distinct):
            break
    if best_count < 0.8 * len(distinct):
        return DateChoice(ISO, False, True)
    twin = DAY_FIRST_TWIN.get(best)
    if twin and sum(1 for s in distinct if parse_with(twin, s) is not None) == best_count:
        return DateChoice(twin if day_first else best, day_first is None, False)
    return DateChoice(best, False, False)


def day_first_evidence(samples: Iterable[str]) -> bool | None:
    """True when some value only reads day-first (13/01/2024), False when only month-first."""
    for s in samples:
        m = re.match(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}", s)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 >= b:
                return True
            if b > 12 >= a:
                return False
    return None


def make_parser(choice: DateChoice) -> Callable[[str], date | None]:
    """A cached parser for one column: the chosen format, then ISO (never ambiguous)."""
    cache: dict[str, date | None] = {}
    formats = CANDIDATES if choice.fallback else (choice.fmt, ISO)

    def parse(text: str) -> date | None:
        try:
            return cache[text]
        except KeyError:
            pass
        value = None
        for fmt in formats:
            value = parse_with(fmt, text)
            if value is not None:
                break
        if len(cache) < 200_000:
            cache[text] = value
        return value

    return parse
