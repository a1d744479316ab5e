"""Customers (客户), their contacts and contracts (合同)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cashloop.ledger.models.companies import Company, PaymentTerms, SalesRep


class Customer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="customers")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField(max_length=64, blank=True)  # 统一社会信用代码 / VAT id
    industry = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    sales_rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    department = models.CharField(max_length=100, blank=True)
    credit_limit_minor = models.BigIntegerField(null=True, blank=True)  # in `currency`
    tier = models.CharField(max_length=8, blank=True)  # A / B / C
    payment_terms = models.ForeignKey(
        PaymentTerms, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="customer_code_unique"),
            models.CheckConstraint(
                condition=Q(credit_limit_minor__isnull=True) | Q(credit_limit_minor__gte=0),
                name="customer_credit_limit_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "name"]),
            models.Index(fields=["company", "sales_rep"]),
            # The customer list's filter menus: the distinct combinations are read from this
            # index alone instead of four scans of the table.
            models.Index(fields=["company", "department", "tier", "country", "currency"],
                         name="customer_filter_values"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=80, blank=True)  # 财务 / 采购 / accounts payable
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=10, blank=True)  # zh-hans, en
    is_primary = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name or self.email or self.phone


class Contract(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contracts")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contracts")
    number = models.CharField(max_length=64)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    payment_terms = models.ForeignKey(
        PaymentTerms, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    # Contractual late interest (违约金/逾期利息), yearly fraction; overrides the terms' rate.
    late_interest_rate = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="contract_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number
