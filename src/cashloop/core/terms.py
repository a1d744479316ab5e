"""Payment terms (付款条件): due dates, instalments, early-payment discount and late interest.

Terms are read from the text users and ERPs write ('NET30', '月结30天', '2/10 net 30',
'50%/30 50%/60', 'EOM+30 roll interest 18%/year') by `parse_terms`, and written back in one
canonical form by `format_terms`, which `parse_terms` reads to the same terms.

Rules: net N is due N days after the issue date; end of month + N (EOM+N, 月结N天) is due N days
after the last day of the issue month; instalments are due their days after that same base, and
the terms' due date is the last instalment's. With `roll_to_business_day` a due date on a weekend
or holiday moves to the next business day of the given calendar (遇节假日顺延). The early-payment
discount 'P/D' takes P % off when paid on or before issue date + D days. Late interest is simple
interest on the open amount for the days overdue at a yearly rate (a fraction: 0.18 = 18 % a
year) over a 365-day year. Amounts are integer minor units, rounded once, half up; no float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from cashloop.core.business_calendar import BusinessCalendar, end_of_month, roll_forward
from cashloop.core.money import allocate, round_scaled
from cashloop.core.problems import Problem, gettext_noop

MAX_DAYS = 3650
DAYS_PER_YEAR = 365
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Instalment:
    """A share of the amount (percent, 50 = half) due `days` after the terms' base date."""

    share_pct: Decimal
    days: int

    def __post_init__(self) -> None:
        if not isinstance(self.share_pct, Decimal):
            raise TypeError("share_pct is a Decimal")
        if self.share_pct <= 0 or self.days < 0:
            raise ValueError(f"instalment needs a positive share and days ≥ 0: {self}")


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """Structured payment terms; with instalments, `net_days` is the last instalment's days."""

    net_days: int = 30
    end_of_month: bool = False
    discount_rate: Decimal | None = None  # fraction: 0.02 for 2 %
    discount_days: int | None = None
    late_interest_rate: Decimal | None = None  # yearly fraction: 0.18 for 18 % a year
    instalments: tuple[Instalment, ...] = ()
    roll_to_business_day: bool = False

    def __post_init__(self) -> None:
        for name in ("discount_rate", "late_interest_rate"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                raise TypeError(f"{name} is a Decimal, never {type(value).__name__}")
        if (self.discount_rate is None) != (self.discount_days is None):
            raise ValueError("discount_rate and discount_days go together")
        if self.instalments:
            total = sum((i.share_pct for i in self.instalments), Decimal(0))
            if total != _HUNDRED:
                raise ValueError(f"instalment shares add up to {total} %, not 100 %")
            # The terms' net period is the last instalment's, so both descriptions agree.
            object.__setattr__(self, "net_days", max(i.days for i in self.instalments))
        if self.net_days < 0:
            raise ValueError("net_days must not be negative")


def base_date(terms: PaymentTerms, issue_date: date) -> date:
    """The date net days count from: the issue date, or the end of its month for EOM terms."""
    return end_of_month(issue_date) if terms.end_of_month else issue_date


def due_date_for(terms: PaymentTerms, issue_date: date, calendar: BusinessCalendar | None = None) -> date:
    """When the (last part of the) amount is due."""
    due = base_date(terms, issue_date) + timedelta(days=terms.net_days)
    return _rolled(terms, due, calendar)


def instalment_schedule(
    terms: PaymentTerms, issue_date: date, amount_minor: int, calendar: BusinessCalendar | None = None
) -> list[tuple[date, int]]:
    """(due date, amount) per instalment, amounts adding back to `amount_minor`; one part without."""
    if not terms.instalments:
        return [(due_date_for(terms, issue_date, calendar), amount_minor)]
    base = base_date(terms, issue_date)
    parts = allocate(amount_minor, [i.share_pct for i in terms.instalments])
    return [
        (_rolled(terms, base + timedelta(days=i.days), calendar), part)
        for i, part in zip(terms.instalments, parts, strict=True)
    ]


def discount_deadline(terms: PaymentTerms, issue_date: date) -> date | None:
    """The last day a payment earns the early-payment discount, or None without a discount."""
    if terms.discount_days is None:
        return None
    return issue_date + timedelta(days=terms.discount_days)


def discount_minor(terms: PaymentTerms, issue_date: date, payment_date: date, amount_minor: int) -> int:
    """The early-payment discount on `amount_minor` for a payment on `payment_date` (0 if late)."""
    deadline = discount_deadline(terms, issue_date)
    if deadline is None or terms.discount_rate is None or payment_date > deadline:
        return 0
    with localcontext() as ctx:
        ctx.prec = 60  # exact product; the only rounding is the half-up one below
        return round_scaled(Decimal(amount_minor) * terms.discount_rate)


def late_interest_minor(
    open_minor: int, due_date: date, as_of: date, yearly_rate: Decimal, day_count: int = DAYS_PER_YEAR
) -> int:
    """Simple interest on `open_minor` for the days after `due_date` up to `as_of` (0 if not overdue)."""
    if isinstance(yearly_rate, float):
        raise TypeError("rates are Decimal, never float")
    days_overdue = (as_of - due_date).days
    if days_overdue <= 0 or open_minor <= 0 or yearly_rate <= 0:
        return 0
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(open_minor) * Decimal(yearly_rate) * days_overdue / day_count
    return round_scaled(value)


def _rolled(terms: PaymentTerms, due: date, calendar: BusinessCalendar | None) -> date:
    if terms.roll_to_business_day and calendar is not None:
        return roll_forward(due, calendar)
    return due


# --- reading and writing the text form -------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_DAYS_WORD = r"(?:\s*(?:days?|d|天|日))?"
_INTEREST = re.compile(
    r"(?:^|(?<=[\s,;+]))\+?\s*(?:late\s+)?(?:interest|逾期利息|利息|违约金)\s*(?P<num>" + _NUM + r")\s*%\s*"
    r"(?:(?:/|per\s+|a\s+|每)\s*(?P<unit>day|日|天|month|月|year|yr|年|annum)"
    r"|(?P<adverb>daily|monthly|yearly|annually|p\.?a\.?))"
)
_ROLL = re.compile(
    r"(?:^|(?<=[\s,;+]))(?:roll(?:ed)?|next\s+business\s+day|遇节假日顺延|节假日顺延|顺延)(?=$|[\s,;])"
)
_DISCOUNT = re.compile(r"^(?P<pct>" + _NUM + r")\s*(?:/|%\s+)\s*(?P<days>\d+)" + _DAYS_WORD + r"(?=$|[\s,;])")
_INSTALMENT = re.compile(r"(?P<pct>" + _NUM + r")\s*%\s*/\s*(?P<days>\d+)" + _DAYS_WORD)
_EOM_MARK = re.compile(r"^(?:eom|end\s+of\s+(?:the\s+)?month|月结)$")
_NET_FORMS = (
    (re.compile(r"^(?:net|n)\s*/?\s*(?P<days>\d+)" + _DAYS_WORD + r"$"), False),
    (re.compile(r"^(?:票到|票后|开票后|发票后)?(?P<days>\d+)" + _DAYS_WORD + r"(?:\s*net)?$"), False),
    (re.compile(r"^(?:eom|end\s+of\s+(?:the\s+)?month)\s*\+?\s*(?P<days>\d+)?" + _DAYS_WORD + r"$"), True),
    (re.compile(r"^月结\s*(?P<days>\d+)" + _DAYS_WORD + r"$"), True),
    (re.compile(r"^(?:net|n)\s*/?\s*(?P<days>\d+)" + _DAYS_WORD + r"\s*(?:eom|end\s+of\s+(?:the\s+)?month)$"),
     True),
    (re.compile(r"^(?:due\s+on\s+receipt|immediate(?:ly)?|cash|cod|立即付款|见票即付)$"), False),
)
_FULL_WIDTH = str.maketrans({"，": ",", "％": "%", "／": "/", "＋": "+", "；": ";", "　": " ", "：": ":"})
_SEPARATORS = " ,;+"
_UNIT_DAYS = {"day": 1, "日": 1, "天": 1, "daily": 1}
_UNIT_MONTHS = {"month": 12, "月": 12, "monthly": 12}


def parse_terms(text: str) -> PaymentTerms | Problem:
    """Payment terms from what users and ERPs write, or a Problem saying what cannot be read."""
    raw = text
    s = " ".join(text.translate(_FULL_WIDTH).lower().split())
    if not s:
        return _problem("terms.empty", gettext_noop("payment terms are empty"), raw)

    late_rate: Decimal | None = None
    if m := _INTEREST.search(s):
        late_rate = _yearly_rate(Decimal(m["num"]).scaleb(-2), m["unit"] or m["adverb"])
        s = (s[: m.start()] + " " + s[m.end():]).strip(_SEPARATORS)
    roll = False
    if m := _ROLL.search(s):
        roll = True
        s = (s[: m.start()] + " " + s[m.end():]).strip(_SEPARATORS)

    discount_rate: Decimal | None = None
    discount_days: int | None = None
    if m := _DISCOUNT.match(s):
        discount_rate, discount_days = Decimal(m["pct"]).scaleb(-2), int(m["days"])
        s = s[m.end():].strip(_SEPARATORS)
        if not s:
            return _problem("terms.discount_without_net",
                            gettext_noop("an early-payment discount needs a net period: {value}"), raw)
        if not Decimal(0) < discount_rate < 1:
            return _problem("terms.discount_out_of_range",
                            gettext_noop("the discount must be between 0 % and 100 %: {value}"), raw)

    instalments: tuple[Instalment, ...] = ()
    end_of_month = False
    net_days = 0
    if "%" in s:
        found = list(_INSTALMENT.finditer(s))
        rest = _INSTALMENT.sub(" ", s).strip(_SEPARATORS + " ")
        if not found or (rest and not _EOM_MARK.match(rest)):
            return _problem("terms.unreadable", gettext_noop("cannot read payment terms {value}"), raw)
        end_of_month = bool(rest)
        shares = [Decimal(f["pct"]) for f in found]
        if any(share <= 0 for share in shares):
            return _problem("terms.instalment_share",
                            gettext_noop("every instalment needs a positive share: {value}"), raw)
        total = sum(shares, Decimal(0))
        if total != _HUNDRED:
            return _problem("terms.instalments_not_100",
                            gettext_noop("instalment shares add up to {total} %, not 100 %: {value}"),
                            raw, (("total", _plain(total)),))
        instalments = tuple(Instalment(share, int(f["days"])) for share, f in zip(shares, found, strict=True))
        net_days = max(i.days for i in instalments)
    else:
        for pattern, eom in _NET_FORMS:
            if m := pattern.match(s):
                days = m.groupdict().get("days")
                net_days, end_of_month = int(days or 0), eom
                break
        else:
            return _problem("terms.unreadable", gettext_noop("cannot read payment terms {value}"), raw)

    if net_days > MAX_DAYS or (discount_days or 0) > MAX_DAYS:
        return _problem("terms.days_out_of_range",
                        gettext_noop("payment terms longer than {max} days: {value}"), raw,
                        (("max", str(MAX_DAYS)),))
    if discount_days is not None and not end_of_month and discount_days > net_days:
        return _problem("terms.discount_after_due",
                        gettext_noop("the discount period ends after the due date: {value}"), raw)
    return PaymentTerms(
        net_days=net_days, end_of_month=end_of_month, discount_rate=discount_rate,
        discount_days=discount_days, late_interest_rate=late_rate, instalments=instalments,
        roll_to_business_day=roll,
    )


def format_terms(terms: PaymentTerms) -> str:
    """The canonical text of terms, e.g. '2/10 EOM+30 roll interest 18%/year'."""
    parts: list[str] = []
    if terms.discount_rate is not None and terms.discount_days is not None:
        parts.append(f"{_plain(terms.discount_rate.scaleb(2))}/{terms.discount_days}")
    if terms.instalments:
        if terms.end_of_month:
            parts.append("EOM")
        parts.extend(f"{_plain(i.share_pct)}%/{i.days}" for i in terms.instalments)
    else:
        parts.append(f"EOM+{terms.net_days}" if terms.end_of_month else f"NET{terms.net_days}")
    if terms.roll_to_business_day:
        parts.append("roll")
    if terms.late_interest_rate is not None:
        parts.append(f"interest {_plain(terms.late_interest_rate.scaleb(2))}%/year")
    return " ".join(parts)


def _yearly_rate(fraction: Decimal, unit: str) -> Decimal:
    """A per-day or per-month fraction as the yearly fraction stored (×365, ×12)."""
    if unit in _UNIT_DAYS:
        return fraction * DAYS_PER_YEAR
    if unit in _UNIT_MONTHS:
        return fraction * 12
    return fraction


def _plain(value: Decimal) -> str:
    """Decimal text without exponent or trailing zeros: 2, 1.5, 18.25."""
    return format(value.normalize(), "f")


def _problem(code: str, message: str, raw: str, params: tuple[tuple[str, str], ...] = ()) -> Problem:
    return Problem(source="", field="payment_terms", code=code, message=message,
                   params=(("value", raw), *params))
