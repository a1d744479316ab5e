"""Companies, sales reps, payment terms and dated exchange rates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Company(models.Model):
    """A legal entity whose receivables are kept; one install can hold several."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    base_currency = models.CharField(max_length=3, default="CNY")
    # ISO 3166 country whose business-day calendar rolls due dates (CN knows 调休).
    calendar_country = models.CharField(max_length=2, default="CN")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_company"
            ),
        ]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SalesRep(models.Model):
    """A salesperson who owns customers; linked to a login when they use Cashloop."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sales_reps")
    name = models.CharField(max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="sales_reps",
    )
    email = models.EmailField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="sales_rep_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class PaymentTerms(models.Model):
    """Payment terms as written by users ('NET30', 'EOM+30', '2/10 net 30'), parsed by core.terms."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="payment_terms")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    # The canonical text core.terms.parse_terms reads; the structured fields mirror it for SQL.
    spec = models.CharField(max_length=200)
    net_days = models.PositiveIntegerField(default=30)
    end_of_month = models.BooleanField(default=False)
    discount_rate = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    discount_days = models.PositiveIntegerField(null=True, blank=True)
    late_interest_rate = models.DecimalField(  # yearly fraction, 0.05 = 5 % a year
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    roll_to_business_day = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="payment_terms_code_unique"),
        ]
        verbose_name_plural = "payment terms"

    def __str__(self) -> str:
        return self.code


class ExchangeRate(models.Model):
    """One unit of `from_currency` costs `rate` units of `to_currency` from `rate_date` on."""

    from_currency = models.CharField(max_length=3)
    to_currency = models.CharField(max_length=3)
    rate_date = models.DateField()
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    source = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_currency", "to_currency", "rate_date"], name="fx_rate_unique"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
        ]
        indexes = [models.Index(fields=["from_currency", "to_currency", "-rate_date"])]

    def __str__(self) -> str:
        return f"{self.from_currency}/{self.to_currency} {self.rate} @ {self.rate_date}"
