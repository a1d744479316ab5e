"""Customers, contacts and contracts over the API.

Thin adapter: schemas validate shape (lengths, patterns), `ledger.services.customers` validates
meaning and refuses with Invalid/NotFound/Forbidden (422/404/403 JSON), and
`ledger.queries.customers` reads within the user's scope. Amounts are strings beside a currency.
"""

from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from cashloop.audit.services import Actor
from cashloop.config.clock import today
from cashloop.core.money import format_minor
from cashloop.ledger.models import Company, Contact, Contract
from cashloop.ledger.queries import customer_detail as customer_page
from cashloop.ledger.queries import customers as queries
from cashloop.ledger.services import customers as services
from cashloop.ledger.services.companies import default_company

router = Router(tags=["customers"])

_PLAIN = r"^[^\x00-\x1f]*$"  # no control characters
Text8 = Annotated[str, Field(max_length=8, pattern=_PLAIN)]
Text64 = Annotated[str, Field(max_length=64, pattern=_PLAIN)]
Text80 = Annotated[str, Field(max_length=80, pattern=_PLAIN)]
Text100 = Annotated[str, Field(max_length=100, pattern=_PLAIN)]
Text120 = Annotated[str, Field(max_length=120, pattern=_PLAIN)]
Text200 = Annotated[str, Field(max_length=200, pattern=_PLAIN)]
Text254 = Annotated[str, Field(max_length=254, pattern=_PLAIN)]
Text500 = Annotated[str, Field(max_length=500, pattern=_PLAIN)]
Text40 = Annotated[str, Field(max_length=40, pattern=_PLAIN)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s/\\?#%]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", examples=["CNY"])]
Country = Annotated[str, Field(pattern=r"^([A-Za-z]{2})?$", examples=["CN"])]
Amount = Annotated[str, Field(pattern=r"^[0-9]{1,15}(\.[0-9]{1,4})?$", examples=["500000.00"])]
Rate = Annotated[str, Field(pattern=r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$", examples=["0.050000"],
                            description="yearly fraction: 0.05 = 5 % a year")]
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ProblemOut(Schema):
    source: str | None = None
    field: str | None = None
    code: str
    severity: str = "error"
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    problems: list[ProblemOut]


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CustomerIn(Schema):
    code: Code
    name: Text200 = ""
    tax_id: Text64 = ""
    industry: Text100 = ""
    country: Country = ""
    currency: Currency | None = Field(None, description="ISO 4217; default: the company's base")
    sales_rep: Text120 | None = Field(None, description="sales rep's name")
    department: Text100 = ""
    tier: Text8 = ""
    payment_terms: Text64 | None = Field(None, description="payment terms code")
    credit_limit: Amount | None = Field(None, description="in the customer's currency")


class CustomerPatch(Schema):
    code: Code | None = None
    name: Text200 | None = None
    tax_id: Text64 | None = None
    industry: Text100 | None = None
    country: Country | None = None
    currency: Currency | None = None
    sales_rep: Text120 | None = None
    department: Text100 | None = None
    tier: Text8 | None = None
    payment_terms: Text64 | None = None
    credit_limit: Amount | None = None


class CustomerOut(Schema):
    code: str
    name: str
    tax_id: str
    industry: str
    country: str
    currency: str
    sales_rep: str | None
    department: str
    tier: str
    payment_terms: str | None
    credit_limit: str | None
    open_balance: str
    overdue_amount: str
    credit_use_pct: str | None = Field(description="open balance / credit limit × 100")


class CustomerListOut(Schema):
    as_of: date
    count: int
    items: list[CustomerOut]


class BucketOut(Schema):
    label: str
    from_days: int | None
    to_days: int | None
    amount: str


class AgingOut(Schema):
    currency: str
    buckets: list[BucketOut]
    total: str


class ContactOut(Schema):
    id: int
    customer: str
    name: str
    role: str
    email: str
    phone: str
    language: str
    is_primary: bool


class CustomerDetailOut(CustomerOut):
    as_of: date
    aging: list[AgingOut]
    settled_invoices: int
    average_days_late: str | None = Field(description="mean of max(0, settled − due) over settled invoices")
    weighted_days_late: str | None = Field(description="the same weighted by invoice amount")
    contacts: list[ContactOut]


class CustomerListQuery(Schema):
    q: Text200 = Field("", description="part of the code, name or tax id")
    sales_rep: Text120 = ""
    department: Text100 = ""
    tier: Text8 = ""
    currency: Annotated[str, Field(pattern=r"^([A-Za-z]{3})?$")] = ""
    country: Country = ""
    has_overdue: bool | None = None
    sort: Literal[queries.SORT_CHOICES] = "code"  # type: ignore[valid-type]
    limit: int = Field(50, ge=1, le=queries.MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)


class ContactIn(Schema):
    name: Text120 = ""
    role: Text80 = ""
    email: Text254 = ""
    phone: Text40 = ""
    language: Annotated[str, Field(max_length=10, pattern=r"^([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?)?$")] = ""
    is_primary: bool = False


class ContactPatch(Schema):
    name: Text120 | None = None
    role: Text80 | None = None
    email: Text254 | None = None
    phone: Text40 | None = None
    language: Annotated[str, Field(max_length=10, pattern=r"^([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?)?$")] \
        | None = None
    is_primary: bool | None = None


class ContractIn(Schema):
    customer: Code
    number: Annotated[str, Field(min_length=1, max_length=64, pattern=_PLAIN)]
    start_date: date | None = None
    end_date: date | None = None
    payment_terms: Text64 | None = None
    late_interest_rate: Rate | None = None
    description: Text500 = ""


class ContractPatch(Schema):
    number: Annotated[str, Field(min_length=1, max_length=64, pattern=_PLAIN)] | None = None
    start_date: date | None = None
    end_date: date | None = None
    payment_terms: Text64 | None = None
    late_interest_rate: Rate | None = None
    description: Text500 | None = None


class ContractOut(Schema):
    id: int
    customer: str
    number: str
    start_date: date | None
    end_date: date | None
    payment_terms: str | None
    late_interest_rate: str | None
    description: str


class ContractListQuery(Schema):
    customer: Text64 = ""
    limit: int = Field(100, ge=1, le=queries.MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10**9)


class ContractListOut(Schema):
    count: int
    items: list[ContractOut]


def _company(request: HttpRequest) -> Company:
    return default_company()


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user, "api")


def _amount(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_minor(minor, currency)


def _customer_out(row: queries.CustomerRow) -> dict[str, Any]:
    pct = row.credit_use_pct
    return {
        "code": row.code, "name": row.name, "tax_id": row.tax_id, "industry": row.industry,
        "country": row.country, "currency": row.currency, "sales_rep": row.sales_rep,
        "department": row.department, "tier": row.tier, "payment_terms": row.payment_terms,
        "credit_limit": _amount(row.credit_limit_minor, row.currency),
        "open_balance": format_minor(row.open_minor, row.currency),
        "overdue_amount": format_minor(row.overdue_minor, row.currency),
        "credit_use_pct": None if pct is None else str(pct),
    }


def _contact_out(contact: Contact) -> dict[str, Any]:
    return {"id": contact.pk, "customer": contact.customer.code, "name": contact.name,
            "role": contact.role, "email": contact.email, "phone": contact.phone,
            "language": contact.language, "is_primary": contact.is_primary}


def _contract_out(contract: Contract) -> dict[str, Any]:
    rate = contract.late_interest_rate
    return {"id": contract.pk, "customer": contract.customer.code, "number": contract.number,
            "start_date": contract.start_date, "end_date": contract.end_date,
            "payment_terms": contract.payment_terms.code if contract.payment_terms else None,
            "late_interest_rate": None if rate is None else str(rate),
            "description": contract.description}


def _detail_out(company: Company, request: HttpRequest, code: str) -> dict[str, Any]:
    customer = services.customer_for(company, code, request.user)
    detail = customer_page.customer_detail(company, customer, today())
    row = queries.CustomerRow(
        code=customer.code, name=customer.name, tax_id=customer.tax_id, industry=customer.industry,
        country=customer.country, currency=detail.currency,
        sales_rep=customer.sales_rep.name if customer.sales_rep else None,
        department=customer.department, tier=customer.tier,
        payment_terms=customer.payment_terms.code if customer.payment_terms else None,
        credit_limit_minor=customer.credit_limit_minor,
        open_minor=detail.open_minor, overdue_minor=detail.overdue_minor,
    )
    late = detail.days_late
    return {
        **_customer_out(row), "as_of": detail.as_of,
        "aging": [{"currency": a.currency, "total": format_minor(a.total_minor, a.currency),
                   "buckets": [{"label": b.label, "from_days": b.from_days, "to_days": b.to_days,
                                "amount": format_minor(b.amount_minor, a.currency)}
                               for b in a.buckets]} for a in detail.aging],
        "settled_invoices": late.invoice_count,
        "average_days_late": None if late.average_days is None else str(late.average_days),
        "weighted_days_late": None if late.weighted_days is None else str(late.weighted_days),
        "contacts": [_contact_out(c) for c in detail.contacts],
    }


@router.get("/customers", response={200: CustomerListOut, **ERRORS})
def list_customers(request: HttpRequest, filters: Query[CustomerListQuery]):
    """Customers you may see, with open and overdue balances as of today; filtered and paged."""
    f = queries.CustomerFilters(
        search=filters.q, sales_rep=filters.sales_rep, department=filters.department,
        tier=filters.tier, currency=filters.currency, country=filters.country,
        has_overdue=filters.has_overdue, sort=filters.sort, limit=filters.limit,
        offset=filters.offset,
    )
    page = queries.customer_page(_company(request), request.user, f, today())
    return {"as_of": page.as_of, "count": page.count, "items": [_customer_out(r) for r in page.rows]}


@router.post("/customers", response={201: CustomerDetailOut, **ERRORS})
def create_customer(request: HttpRequest, payload: CustomerIn):
    company = _company(request)
    fields = payload.model_dump(exclude_unset=True)
    customer = services.create_customer(_actor(request), company, fields)
    return 201, _detail_out(company, request, customer.code)


@router.get("/customers/{code}", response={200: CustomerDetailOut, **ERRORS})
def get_customer(request: HttpRequest, code: str):
    """One customer with their aging, days late and contacts."""
    return _detail_out(_company(request), request, code)


@router.patch("/customers/{code}", response={200: CustomerDetailOut, **ERRORS})
def update_customer(request: HttpRequest, code: str, payload: CustomerPatch):
    """Change the fields sent; send null to clear credit_limit, sales_rep or payment_terms."""
    company = _company(request)
    fields = payload.model_dump(exclude_unset=True)
    for name in ("code", "currency"):
        if name in fields and fields[name] is None:
            del fields[name]
    customer = services.update_customer(_actor(request), company, code, fields)
    return _detail_out(company, request, customer.code)


@router.get("/customers/{code}/contacts", response={200: list[ContactOut], **ERRORS})
def list_contacts(request: HttpRequest, code: str):
    customer = services.customer_for(_company(request), code, request.user)
    return [_contact_out(c) for c in customer.contacts.select_related("customer")
            .order_by("-is_primary", "name", "pk")]


@router.post("/customers/{code}/contacts", response={201: ContactOut, **ERRORS})
def add_contact(request: HttpRequest, code: str, payload: ContactIn):
    contact = services.add_contact(_actor(request), _company(request), code, payload.model_dump())
    return 201, _contact_out(contact)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def update_contact(request: HttpRequest, contact_id: Id, payload: ContactPatch):
    fields = {k: ("" if v is None and k != "is_primary" else v)
              for k, v in payload.model_dump(exclude_unset=True).items()
              if not (k == "is_primary" and v is None)}
    contact = services.update_contact(_actor(request), _company(request), contact_id, fields)
    return _contact_out(contact)


@router.get("/contracts", response={200: ContractListOut, **ERRORS})
def list_contracts(request: HttpRequest, filters: Query[ContractListQuery]):
    count, rows = queries.contracts_for(_company(request), request.user, filters.customer,
                                        filters.limit, filters.offset)
    return {"count": count, "items": [_contract_out(c) for c in rows]}


@router.post("/contracts", response={201: ContractOut, **ERRORS})
def create_contract(request: HttpRequest, payload: ContractIn):
    fields = payload.model_dump(exclude_unset=True)
    customer = fields.pop("customer")
    contract = services.create_contract(_actor(request), _company(request), customer, fields)
    return 201, _contract_out(contract)


@router.patch("/contracts/{contract_id}", response={200: ContractOut, **ERRORS})
def update_contract(request: HttpRequest, contract_id: Id, payload: ContractPatch):
    fields = payload.model_dump(exclude_unset=True)
    if "number" in fields and fields["number"] is None:
        del fields["number"]
    contract = services.update_contract(_actor(request), _company(request), contract_id, fields)
    return _contract_out(contract)
