"""The demo installation: `python cli.py demo [--as-of DATE] [--seed N] [--rows N] [--out DIR]`.

`build_demo` reads the committed configuration (data/demo/config.yaml: Northwind Distribution,
three resellers, ~40 customers, plans that use every pricing feature, demo users), adds FX rates
for its three billing periods, writes FOCUS 1.2 CSV files (one per provider and period) for
those periods, ingests them through the same path as real files (`data.ingest.ingest_paths`)
and imports the configuration.

Periods are anchored to `as_of` (default today): the two complete months before its month and
its month to date (no ChargePeriodStart after `as_of`). Files are deterministic: the same seed,
as_of and rows give the same bytes. Every number is a Decimal built from integers or strings
(never a float) and written with at most 10 decimal places.

What the files contain (docs/demo.md):
- on-demand usage on AWS (12-digit linked accounts under two payer accounts), Microsoft
  (subscription GUIDs under CSP billing accounts in USD and EUR, plus one customer-owned
  billing account mapped as a whole) and Google Cloud (project ids);
  ListCost ≥ ContractedCost ≥ BilledCost (the provider's reseller discount is the gap);
- commitments: purchases (`Purchase`, CommitmentDiscountId), covered usage (`Used`, BilledCost 0,
  EffectiveCost amortised) and waste (`Unused`); one AWS reservation bought in one customer's
  account covers another customer's usage (the single-customer rule violation, DOMAIN §9);
- credits: Microsoft partner-earned credits, AWS promotional credits, Google sustained-use;
  one customer earns no partner-earned credit in the last period (UNDER_USED, LOST_PEC_CUSTOMER:
  an under-used commitment and a lost PEC for the Commitments page);
- provider tax rows; corrections (ChargeClass `Correction`) for the previous month;
- unassigned cost: accounts no mapping claims, and the untagged rows of a shared account whose
  tagged rows reach customers through tag rules.

(Over 400 lines on purpose: most of it is the catalogue of demo services, prices and cases, read
top to bottom like data; splitting it would scatter one story over several files.)
"""
from __future__ import annotations

import calendar
import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable

from data.config import ConfigDocument, FxRateSpec, import_config, load_config
from data.focus import FOCUS_12_COLUMNS as FOCUS_COLUMNS
from pricing.money import ZERO, D

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "data" / "demo" / "config.yaml"
DEFAULT_OUT = ROOT / "data" / "demo_files"
DEMO_PASSWORD = "tierline-demo"

PROVIDERS = ("AWS", "Microsoft", "Google Cloud")
FILE_SLUG = {"AWS": "aws", "Microsoft": "microsoft", "Google Cloud": "google-cloud"}
_FILE_NAME = re.compile(r"^(aws|microsoft|google-cloud)-focus-\d{4}-\d{2}\.csv$")
Q10 = Decimal(1).scaleb(-10)
CENT = Decimal("0.01")

# Demo FX rates per period offset (0 = oldest period). Deterministic, 4 places, all pairs of
# USD / EUR / GBP so every edge of the demo can convert (row currency → buyer currency).
_FX_BASE = {("USD", "EUR"): "0.9200", ("USD", "GBP"): "0.7900"}
_FX_STEP = {("USD", "EUR"): "0.0040", ("USD", "GBP"): "-0.0030"}


# --------------------------------------------------------------------------------------------
# Catalogue: services, regions, billing accounts
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Service:
    name: str
    category: str
    subcategory: str
    sku: str
    meter: str
    resource_type: str
    unit: str
    price: str                   # list unit price, USD
    qty: tuple[int, int]         # quantity range in hundredths
    weight: int
    commit: bool = False         # eligible for the provider's commitment discount
    slug: str = ""


SERVICES: dict[str, tuple[Service, ...]] = {
    "AWS": (
        Service("AmazonEC2", "Compute", "Virtual Machines", "8VCNEHQMSCQS4P39",
                "m6i.large Linux on-demand", "Instance", "Hours", "0.096", (100, 2400), 8, True, "ec2"),
        Service("AmazonEC2", "Compute", "Virtual Machines", "3DG6WFZ5QW4JAAHJ",
                "m6i.2xlarge Linux on-demand", "Instance", "Hours", "0.384", (100, 2400), 3, True, "ec2"),
        Service("AmazonS3", "Storage", "Object Storage", "WP9ANXAF4JJCXRHE",
                "S3 Standard storage", "Bucket", "GB-Mo", "0.023", (500, 90000), 4, False, "s3"),
        Service("AmazonRDS", "Databases", "Relational Databases", "QZ6XWCBC8N8KM4KC",
                "db.r6g.large PostgreSQL", "DB Instance", "Hours", "0.240", (100, 2400), 3, False, "rds"),
        Service("AWSLambda", "Compute", "Serverless Compute", "TG3M4CAGBA3NYQBH",
                "Lambda duration (GB-seconds)", "Function", "GB-Seconds", "0.0000166667",
                (100000, 300000000), 2, False, "lambda"),
        Service("AmazonCloudFront", "Networking", "Content Delivery", "N7WSYHVUT72KMK3V",
                "Data transfer out to internet", "Distribution", "GB", "0.085", (100, 60000), 2, False, "cloudfront"),
        Service("AmazonVPC", "Networking", "Network Connectivity", "PQ44QRGZYQ87XPN2",
                "NAT gateway data processed", "NAT Gateway", "GB", "0.045", (100, 80000), 2, False, "ec2"),
        Service("AmazonCloudWatch", "Management and Governance", "Observability", "5Y7GW4R4FWG7U4PJ",
                "Custom metrics", "Metric", "Metrics", "0.30", (100, 5000), 1, False, "cloudwatch"),
        Service("AmazonDynamoDB", "Databases", "NoSQL Databases", "R8JHBY5U3R8X3G6Q",
                "On-demand write request units", "Table", "WriteRequestUnits", "0.00000125",
                (10000000, 2000000000), 1, False, "dynamodb"),
        Service("AmazonSageMaker", "AI and Machine Learning", "AI Platforms", "8KZ6M7QK8M2B4T4H",
                "ml.g5.xlarge training", "Training Job", "Hours", "1.408", (50, 1200), 1, False, "sagemaker"),
    ),
    "Microsoft": (
        Service("Virtual Machines", "Compute", "Virtual Machines", "DZH318Z0BQ4L",
                "D4s v5", "Virtual Machine", "Hours", "0.192", (100, 2400), 8, True, "Microsoft.Compute/virtualMachines"),
        Service("Virtual Machines", "Compute", "Virtual Machines", "DZH318Z0BNVX",
                "E8s v5", "Virtual Machine", "Hours", "0.504", (100, 2400), 2, True, "Microsoft.Compute/virtualMachines"),
        Service("Storage", "Storage", "Object Storage", "DZH318Z0BNXN",
                "Hot LRS Data Stored", "Storage Account", "GB/Month", "0.0184", (500, 90000), 4, False, "Microsoft.Storage/storageAccounts"),
        Service("Azure SQL Database", "Databases", "Relational Databases", "DZH318Z0BQ2T",
                "vCore General Purpose Gen5", "SQL Database", "Hours", "0.504", (100, 2400), 3, False, "Microsoft.Sql/servers/databases"),
        Service("Azure App Service", "Web", "Application Platforms", "DZH318Z0BP8C",
                "P1 v3 App", "App Service Plan", "Hours", "0.169", (100, 2400), 2, False, "Microsoft.Web/serverfarms"),
        Service("Azure Kubernetes Service", "Compute", "Containers", "DZH318Z0C1V4",
                "Standard tier uptime SLA", "Managed Cluster", "Hours", "0.10", (2400, 2400), 1, False, "Microsoft.ContainerService/managedClusters"),
        Service("Azure Monitor", "Management and Governance", "Observability", "DZH318Z0BQJ2",
                "Analytics Logs Data Ingestion", "Log Analytics Workspace", "GB", "2.30", (10, 2000), 2, False, "Microsoft.OperationalInsights/workspaces"),
        Service("Bandwidth", "Networking", "Network Connectivity", "DZH318Z0BNZH",
                "Standard Data Transfer Out", "Public IP", "GB", "0.087", (100, 50000), 1, False, "Microsoft.Network/publicIPAddresses"),
        Service("Azure OpenAI", "AI and Machine Learning", "Generative AI", "DZH318Z0C7DK",
                "gpt-4o input tokens (1K)", "Cognitive Services Account", "1K Tokens", "0.0025", (10000, 2000000), 1, False, "Microsoft.CognitiveServices/accounts"),
        Service("Microsoft Defender for Cloud", "Security", "Security Posture Management", "DZH318Z0BQ7M",
                "Defender for Servers Plan 2", "Security Plan", "Hours", "0.02", (2400, 2400), 1, False, "Microsoft.Security/pricings"),
    ),
    "Google Cloud": (
        Service("Compute Engine", "Compute", "Virtual Machines", "6B8F-E63D-832B",
                "N2 Instance Core running", "Instance", "Hour", "0.031611", (400, 9600), 6, True, "compute"),
        Service("Compute Engine", "Compute", "Virtual Machines", "9A95-2D79-0E1B",
                "N2 Instance Ram running", "Instance", "GiBy.h", "0.004237", (1600, 38400), 3, True, "compute"),
        Service("Cloud Storage", "Storage", "Object Storage", "E5F0-6A5D-7BAD",
                "Standard Storage US Multi-region", "Bucket", "GiBy.mo", "0.026", (500, 90000), 3, False, "storage"),
        Service("BigQuery", "Analytics", "Data Processing", "3362-E469-6BEF",
                "Analysis (on-demand)", "Dataset", "TiBy", "6.25", (1, 500), 2, False, "bigquery"),
        Service("Cloud SQL", "Databases", "Relational Databases", "D3FE-1C20-42F5",
                "Cloud SQL for PostgreSQL: vCPU", "Instance", "Hour", "0.0413", (200, 9600), 2, False, "sqladmin"),
        Service("Kubernetes Engine", "Compute", "Containers", "B561-BFBD-1264",
                "Regional Kubernetes Clusters", "Cluster", "Hour", "0.10", (2400, 2400), 1, False, "container"),
        Service("Cloud Run", "Compute", "Serverless Compute", "8F0A-1B6D-9B32",
                "CPU allocation time", "Service", "s", "0.000024", (100000, 50000000), 1, False, "run"),
        Service("Networking", "Networking", "Network Connectivity", "9DE9-9092-B3BC",
                "Network Internet Egress", "Network", "GiBy", "0.12", (100, 40000), 1, False, "compute"),
        Service("Vertex AI", "AI and Machine Learning", "Generative AI", "C2E6-4C0E-9F4A",
                "Gemini Flash input characters (1K)", "Endpoint", "1K Characters", "0.00001875",
                (100000, 50000000), 1, False, "aiplatform"),
        Service("Cloud Logging", "Management and Governance", "Observability", "143F-A1B0-E0BE",
                "Log Storage cost", "Log Bucket", "GiBy", "0.50", (10, 5000), 1, False, "logging"),
    ),
}

# (region id, region name) by provider and geography.
REGIONS = {
    "AWS": {"US": (("us-east-1", "US East (N. Virginia)"), ("us-west-2", "US West (Oregon)")),
            "EU": (("eu-central-1", "Europe (Frankfurt)"), ("eu-west-1", "Europe (Ireland)")),
            "GB": (("eu-west-2", "Europe (London)"), ("eu-west-1", "Europe (Ireland)"))},
    "Microsoft": {"US": (("eastus", "East US"), ("westus2", "West US 2")),
                  "EU": (("germanywestcentral", "Germany West Central"), ("westeurope", "West Europe")),
                  "GB": (("uksouth", "UK South"), ("ukwest", "UK West"))},
    "Google Cloud": {"US": (("us-central1", "Iowa"), ("us-east1", "South Carolina")),
                     "EU": (("europe-west3", "Frankfurt"), ("europe-west1", "Belgium")),
                     "GB": (("europe-west2", "London"), ("europe-west1", "Belgium"))},
}
GEOGRAPHY = {"US": "US", "GB": "GB"}            # anything else is EU

# The provider's price to the root: ContractedCost = ListCost × this (reseller discount).
CONTRACTED_FACTOR = {"AWS": Decimal("0.85"), "Microsoft": Decimal("0.85"), "Google Cloud": Decimal("0.88")}
EUR_PRICE_FACTOR = Decimal("0.92")              # EUR price list = USD list × 0.92


@dataclass(frozen=True)
class BillingAccount:
    provider: str
    id: str
    name: str
    type: str
    currency: str
    tax_rate: Decimal            # provider tax on this account's charges (0 = no tax rows)
    tax_label: str


BILLING_ACCOUNTS = {
    "aws-us": BillingAccount("AWS", "100000000001", "Northwind AWS Payer (US)", "Payer Account", "USD",
                             Decimal("0.0625"), "US sales tax"),
    "aws-eu": BillingAccount("AWS", "100000000002", "Northwind AWS Payer (EU)", "Payer Account", "USD",
                             Decimal("0.19"), "VAT"),
    "ms-us": BillingAccount("Microsoft", "northwind-csp-us", "Northwind CSP (USD)", "Billing Account", "USD",
                            Decimal("0.0625"), "US sales tax"),
    "ms-eu": BillingAccount("Microsoft", "northwind-csp-eu", "Northwind CSP (EUR)", "Billing Account", "EUR",
                            Decimal("0.19"), "VAT"),
    "ms-fabrikam": BillingAccount("Microsoft", "fabrikam-mca-7741", "Fabrikam MCA", "Billing Account", "USD",
                                  Decimal("0.0625"), "US sales tax"),
    "gcp": BillingAccount("Google Cloud", "01F3A2-7C9B44-D0E1A7", "Northwind GCP Reseller", "Billing Account",
                          "USD", Decimal("0.05"), "Sales tax"),
}

AWS_ENVS = ("prod", "staging", "data", "sandbox", "shared")

# Cases the Commitments page shows (issue #15), chosen so that no invoice changes: both sit
# where the distributor keeps what they change (its plans retain credits and do not pass unused
# commitment on to BritCloud), so only the root's cost, margin and reconciliation move.
# - an under-used commitment: Kingsbridge Bank's Microsoft reservation runs at 45 % utilisation;
# - a lost partner-earned credit: Tailspin Toys earns PEC on its Microsoft subscription in the
#   first two periods and none in the last (the partner's admin access was removed).
UNDER_USED = {"ms-ri": "0.45"}
LOST_PEC_CUSTOMER = "tailspin"
MS_ENVS = ("Production", "Development", "Analytics", "Test", "Shared Services")


@dataclass
class SubAccount:
    provider: str
    account: BillingAccount
    id: str
    name: str
    type: str
    env: str
    customer: str | None         # the mapped customer; None for unassigned / tag-split accounts
    geography: str
    weight: int = 1
    tag_customers: tuple[str, ...] = ()          # shared account: rows tagged customer=…
    services: tuple[Service, ...] = ()


@dataclass(frozen=True)
class Commitment:
    key: str
    provider: str
    owner_sub: str               # sub-account the commitment is bought in
    covers: tuple[str, ...]      # sub-accounts whose eligible usage it covers
    type: str                    # Savings Plan | Reserved Instance | Reservation | Committed Use Discount
    category: str                # Spend | Usage
    unit: str
    name: str
    sku: str
    discount: Decimal            # EffectiveCost = ContractedCost × (1 − discount) on covered rows


@dataclass
class _Ctx:
    as_of: date
    periods: list[date]
    seed: int
    doc: ConfigDocument
    subs: list[SubAccount]
    commitments: list[Commitment]
    rows: dict[tuple[str, date], list[dict]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Small helpers (all exact)
# --------------------------------------------------------------------------------------------

def num(value: Decimal) -> str:
    """A decimal as text with at most 10 places, no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        if len(text) - text.index(".") > 11:
            text = format(value.quantize(Q10, rounding=ROUND_HALF_UP), "f")
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def ledger(value: Decimal) -> Decimal:
    return value.quantize(Q10, rounding=ROUND_HALF_UP)


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _digest(*parts: object, n: int = 8) -> str:
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()[:n]


def _ts(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _next_month(period: date) -> date:
    return (period.replace(day=28) + timedelta(days=4)).replace(day=1)


def _last_day(period: date, as_of: date) -> int:
    """Last day of the period with data: the month's last day, or as_of's day in its month."""
    if period == as_of.replace(day=1):
        return as_of.day
    return calendar.monthrange(period.year, period.month)[1]


def demo_periods(as_of: date) -> list[date]:
    """The two complete months before as_of's month, then as_of's month (first days)."""
    current = as_of.replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    first = (previous - timedelta(days=1)).replace(day=1)
    return [first, previous, current]


def demo_fx_rates(periods: list[date]) -> list[FxRateSpec]:
    """Rates for every ordered pair of USD, EUR and GBP in each period (4 places)."""
    q = Decimal("0.0001")
    out: list[FxRateSpec] = []
    for k, period in enumerate(periods):
        usd = {"USD": Decimal(1)}
        for (a, b), base in _FX_BASE.items():
            usd[b] = D(base) + D(_FX_STEP[(a, b)]) * k
        for src in ("USD", "EUR", "GBP"):
            for dst in ("USD", "EUR", "GBP"):
                if src != dst:
                    rate = (usd[dst] / usd[src]).quantize(q, rounding=ROUND_HALF_UP)
                    out.append(FxRateSpec(period=period, from_ccy=src, to_ccy=dst, rate=rate))
    return out


# --------------------------------------------------------------------------------------------
# Inventory: sub-accounts from the configuration's mappings, plus unmapped ones
# --------------------------------------------------------------------------------------------

def _inventory(doc: ConfigDocument, seed: int) -> tuple[list[SubAccount], list[Commitment]]:
    orgs = {o.id: o for o in doc.organizations_all()}
    rng = random.Random(f"tierline-demo/{seed}/inventory")
    subs: list[SubAccount] = []
    count: dict[tuple[str, str], int] = {}

    def geo(customer: str) -> str:
        return GEOGRAPHY.get(orgs[customer].country or "US", "EU")

    def aws_account(customer: str) -> BillingAccount:
        return BILLING_ACCOUNTS["aws-eu" if orgs[customer].parent == "cloudhaus" else "aws-us"]

    def ms_account(customer: str) -> BillingAccount:
        parent = orgs[customer].parent
        eur = parent == "cloudhaus" or (parent == "britcloud" and orgs[customer].currency == "EUR")
        return BILLING_ACCOUNTS["ms-eu" if eur else "ms-us"]

    seen: set[tuple[str, str]] = set()
    for m in doc.account_mappings:
        if m.sub_account_id is None or (m.provider, m.sub_account_id) in seen:
            continue
        if m.valid_to is not None:            # handed over: the current owner's mapping follows
            continue
        seen.add((m.provider, m.sub_account_id))
        n = count.get((m.provider, m.customer), 0)
        count[(m.provider, m.customer)] = n + 1
        if m.provider == "AWS":
            env = AWS_ENVS[n % len(AWS_ENVS)]
            subs.append(SubAccount("AWS", aws_account(m.customer), m.sub_account_id,
                                   f"{m.customer}-{env}", "Linked Account", env, m.customer, geo(m.customer)))
        elif m.provider == "Microsoft":
            env = MS_ENVS[n % len(MS_ENVS)]
            subs.append(SubAccount("Microsoft", ms_account(m.customer), m.sub_account_id,
                                   f"{orgs[m.customer].name} - {env}", "Subscription", env.lower(),
                                   m.customer, geo(m.customer)))
        else:
            env = m.sub_account_id.rsplit("-", 2)[-2] if m.sub_account_id.count("-") >= 2 else "prod"
            subs.append(SubAccount("Google Cloud", BILLING_ACCOUNTS["gcp"], m.sub_account_id,
                                   m.sub_account_id, "Project", env, m.customer, geo(m.customer)))

    tag_customers = tuple(sorted(m.value for m in doc.account_mappings if m.tag == "customer"))
    fabrikam = next((m.customer for m in doc.account_mappings
                     if m.billing_account_id == BILLING_ACCOUNTS["ms-fabrikam"].id), None)
    # Accounts no sub-account mapping claims.
    subs.append(SubAccount("AWS", BILLING_ACCOUNTS["aws-us"], "200000000900", "msp-one-shared-platform",
                           "Linked Account", "shared", None, "US", tag_customers=tag_customers))
    subs.append(SubAccount("AWS", BILLING_ACCOUNTS["aws-us"], "200000009901", "new-account-onboarding",
                           "Linked Account", "sandbox", None, "US"))
    subs.append(SubAccount("Microsoft", BILLING_ACCOUNTS["ms-eu"], "5d1c7c2e-98a4-4f6b-b1de-0c9e7e2a4b61",
                           "Neukunde - Onboarding", "Subscription", "test", None, "EU"))
    subs.append(SubAccount("Google Cloud", BILLING_ACCOUNTS["gcp"], "northwind-internal-tools-4410",
                           "northwind-internal-tools-4410", "Project", "shared", None, "US"))
    if fabrikam is not None:              # a billing account mapped as a whole
        for k, env in enumerate(("Production", "Data")):
            sub_id = "%s-%s-%s-%s-%s" % tuple(_digest("fabrikam-mca", k, n=32)[a:b] for a, b in
                                              ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
            subs.append(SubAccount("Microsoft", BILLING_ACCOUNTS["ms-fabrikam"], sub_id,
                                   f"Fabrikam - {env}", "Subscription", env.lower(), None, "US"))

    for s in subs:
        weight = rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 8, 12))
        if s.env in ("prod", "production"):
            weight *= 2
        s.weight = weight
        catalogue = SERVICES[s.provider]
        picked = [catalogue[0]] + rng.sample(catalogue[1:], rng.randint(3, min(7, len(catalogue) - 1)))
        s.services = tuple(sorted(picked, key=catalogue.index))

    by_id = {s.id: s for s in subs}

    def first(customer: str, provider: str) -> str | None:
        return next((s.id for s in subs if s.customer == customer and s.provider == provider), None)

    commitments: list[Commitment] = []
    plan = (
        ("aws-sp", "AWS", "woodgrove", ("woodgrove",), "Savings Plan", "Spend", "USD",
         "ComputeSavingsPlans-1yr-NoUpfront", "SP-COMPUTE-1Y-NU", "0.28"),
        # Bought in Tailspin's account, also covering Wingtip's usage: the single-customer
        # commitment rule (DOMAIN §9) is violated on purpose so the app can show it.
        ("aws-ri", "AWS", "tailspin", ("tailspin", "wingtip"), "Reserved Instance", "Usage", "Hours",
         "EC2 RI m6i.large 1yr NoUpfront", "RI-M6I-LARGE-1Y-NU", "0.36"),
        ("aws-sp-eu", "AWS", "rheinwerk", ("rheinwerk",), "Savings Plan", "Spend", "USD",
         "EC2InstanceSavingsPlans-3yr-NoUpfront", "SP-EC2-3Y-NU", "0.42"),
        ("ms-ri", "Microsoft", "kingsbridge-bank", ("kingsbridge-bank",), "Reservation", "Usage", "Hours",
         "Reserved VM Instance D4s v5 1 Year", "DZH318Z0BQ4L-RES-1Y", "0.40"),
        ("gcp-cud", "Google Cloud", "thames-analytics", ("thames-analytics",), "Committed Use Discount",
         "Usage", "Hour", "Compute CUD N2 1 year", "CUD-N2-CORE-1Y", "0.37"),
    )
    for key, provider, owner, covered, ctype, cat, unit, name, sku, disc in plan:
        owner_sub = first(owner, provider)
        if owner_sub is None:
            continue
        covers = tuple(x for x in (first(c, provider) for c in covered) if x is not None)
        commitments.append(Commitment(key, provider, owner_sub, covers, ctype, cat, unit, name, sku, D(disc)))
        for sid in covers:                    # make sure the covered account runs the eligible SKU
            s = by_id[sid]
            if not any(x.commit for x in s.services):
                s.services = (SERVICES[provider][0],) + s.services
    return subs, commitments


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------

def _commitment_id(c: Commitment, owner: SubAccount, seed: int) -> str:
    h = _digest("commitment", c.key, seed, n=16)
    if c.provider == "AWS":
        kind = "savingsplan" if c.type == "Savings Plan" else "reserved-instances"
        svc = "savingsplans" if c.type == "Savings Plan" else "ec2"
        return f"arn:aws:{svc}::{owner.id}:{kind}/{h}"
    if c.provider == "Microsoft":
        return f"/providers/Microsoft.Capacity/reservationOrders/{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[1:4]}-{h[4:16]}"
    return f"projects/{owner.id}/regions/europe-west2/commitments/{c.key}-{h[:6]}"


@lru_cache(maxsize=None)
def _invoice_id(account: BillingAccount, period: date) -> str:
    digits = str(int(_digest("invoice", account.id, period, n=8), 16) % 10**9).zfill(9)
    if account.provider == "AWS":
        return f"{period:%y%m}{digits}"
    if account.provider == "Microsoft":
        return f"G{digits}"
    return f"{period:%Y%m}{digits[:6]}"


def _resource(s: SubAccount, svc: Service, region: str, n: int, seed: int) -> tuple[str, str]:
    key = (s.id, svc.sku, region, n, seed)
    if key not in _RESOURCES:
        _RESOURCES[key] = _make_resource(s, svc, region, n, seed)
    return _RESOURCES[key]


_RESOURCES: dict[tuple, tuple[str, str]] = {}


def _make_resource(s: SubAccount, svc: Service, region: str, n: int, seed: int) -> tuple[str, str]:
    h = _digest(s.id, svc.sku, n, seed, n=17)
    if s.provider == "AWS":
        name = {"ec2": f"i-{h}", "s3": f"{s.name}-assets-{h[:6]}", "rds": f"{s.name}-db-{n}"}.get(
            svc.slug, f"{svc.resource_type.lower().replace(' ', '-')}-{h[:10]}")
        if svc.slug == "s3":
            return f"arn:aws:s3:::{name}", name
        kind = svc.resource_type.lower().replace(" ", "-")
        return f"arn:aws:{svc.slug}:{region}:{s.id}:{kind}/{name}", name
    if s.provider == "Microsoft":
        name = f"{svc.resource_type.lower().replace(' ', '')[:10]}-{s.env[:4]}-{h[:6]}"
        return (f"/subscriptions/{s.id}/resourceGroups/rg-{s.env}-{region}/providers/"
                f"{svc.slug}/{name}"), name
    name = f"{svc.resource_type.lower().replace(' ', '-')}-{h[:8]}"
    return f"//{svc.slug}.googleapis.com/projects/{s.id}/locations/{region}/{name}", name


def _base_row(s: SubAccount, period: date, as_of: date) -> dict:
    key = (s.provider, s.id, s.account.id, period)
    if key not in _BASE:
        _BASE[key] = _make_base_row(s, period)
    return dict(_BASE[key])


_BASE: dict[tuple, dict] = {}


def _make_base_row(s: SubAccount, period: date) -> dict:
    acct = s.account
    return {
        "ProviderName": s.provider, "PublisherName": s.provider, "InvoiceIssuerName": s.provider,
        "InvoiceId": _invoice_id(acct, period), "BillingAccountId": acct.id,
        "BillingAccountName": acct.name, "BillingAccountType": acct.type,
        "SubAccountId": s.id, "SubAccountName": s.name, "SubAccountType": s.type,
        "BillingPeriodStart": _ts(period), "BillingPeriodEnd": _ts(_next_month(period)),
        "BillingCurrency": acct.currency, "PricingCurrency": acct.currency,
    }


@lru_cache(maxsize=None)
def _price(svc: Service, currency: str) -> Decimal:
    price = D(svc.price)
    return ledger(price * EUR_PRICE_FACTOR) if currency == "EUR" else price


def _usage_row(rng: random.Random, s: SubAccount, svc: Service, period: date, day: int,
               as_of: date, seed: int) -> dict:
    regions = REGIONS[s.provider][s.geography]
    region_id, region_name = regions[0] if rng.randint(1, 10) <= 8 else regions[1]
    res_id, res_name = _resource(s, svc, region_id, rng.randint(1, 3), seed)
    qty = Decimal(rng.randint(*svc.qty)).scaleb(-2)
    if s.weight >= 8 and svc.unit in ("Hours", "Hour"):
        qty *= 2                             # bigger customers run bigger fleets
    unit_price = _price(svc, s.account.currency)
    contracted_price = ledger(unit_price * CONTRACTED_FACTOR[s.provider])
    list_cost = ledger(qty * unit_price)
    contracted = ledger(qty * contracted_price)
    start = period.replace(day=day)
    env = s.env
    team = rng.choice(("platform", "web", "data", "ml", "finance"))
    tagged = rng.choice(s.tag_customers) if s.tag_customers and rng.randint(1, 10) <= 7 else None
    row = _base_row(s, period, as_of)
    row.update({
        "ChargePeriodStart": _ts(start), "ChargePeriodEnd": _ts(start + timedelta(days=1)),
        "ChargeCategory": "Usage", "ChargeClass": "", "ChargeDescription": svc.meter,
        "ChargeFrequency": "Usage-Based",
        "ListCost": num(list_cost), "ContractedCost": num(contracted), "BilledCost": num(contracted),
        "EffectiveCost": num(contracted), "ListUnitPrice": num(unit_price),
        "ContractedUnitPrice": num(contracted_price), "PricingCategory": "Standard",
        "PricingQuantity": num(qty), "PricingUnit": svc.unit, "ConsumedQuantity": num(qty),
        "ConsumedUnit": svc.unit, "ServiceName": svc.name, "ServiceCategory": svc.category,
        "ServiceSubcategory": svc.subcategory, "SkuId": svc.sku, "SkuMeter": svc.meter,
        "SkuPriceId": f"{svc.sku}.{s.account.currency}.OD", "ResourceId": res_id,
        "ResourceName": res_name, "ResourceType": svc.resource_type, "RegionId": region_id,
        "RegionName": region_name,
        "AvailabilityZone": f"{region_id}{'abc'[rng.randint(0, 2)]}" if s.provider == "AWS" else "",
        "Tags": _tags(env, team, tagged),
    })
    return row


@lru_cache(maxsize=None)
def _tags(environment: str, team: str, customer: str | None) -> str:
    tags = {"environment": environment, "team": team}
    if customer is not None:
        tags["customer"] = customer
    return json.dumps(tags, sort_keys=True, separators=(",", ":"))


def _whole_period(row: dict, period: date, as_of: date) -> None:
    end = _next_month(period)
    if period == as_of.replace(day=1):
        end = as_of + timedelta(days=1)
    row["ChargePeriodStart"], row["ChargePeriodEnd"] = _ts(period), _ts(end)


def _amount_row(s: SubAccount, period: date, as_of: date, *, category: str, amount: Decimal,
                description: str, service: Service | None, frequency: str = "One-Time",
                list_and_contracted: bool = False) -> dict:
    row = _base_row(s, period, as_of)
    _whole_period(row, period, as_of)
    row.update({
        "ChargeCategory": category, "ChargeClass": "", "ChargeDescription": description,
        "ChargeFrequency": frequency, "BilledCost": num(amount), "EffectiveCost": num(amount),
        "ListCost": num(amount if list_and_contracted else ZERO),
        "ContractedCost": num(amount if list_and_contracted else ZERO),
        "ServiceName": service.name if service else "Tax",
        "ServiceCategory": service.category if service else "Other",
        "ServiceSubcategory": service.subcategory if service else "Other (Other)",
        "SkuId": service.sku if service else "", "Tags": "",
    })
    return row


def _allocate(total: int, weights: list[int], minimum: int = 1) -> list[int]:
    """Split `total` by integer weights (largest remainder), at least `minimum` each."""
    spare = max(total - minimum * len(weights), 0)
    wsum = sum(weights) or 1
    exact = [spare * w for w in weights]
    base = [e // wsum for e in exact]
    rest = spare - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] % wsum), i))
    for i in order[:rest]:
        base[i] += 1
    return [b + minimum for b in base]


def _generate(ctx: _Ctx, rows_target: int) -> None:
    periods, as_of, seed = ctx.periods, ctx.as_of, ctx.seed
    _RESOURCES.clear()
    _BASE.clear()
    subs = ctx.subs
    by_id = {s.id: s for s in subs}
    # Special rows per period (tax, credits, commitments) ≈ one per sub-account plus a few;
    # corrections ≈ 0.4 % of a period's usage. Usage rows take the rest of the budget.
    special = 3 * (len(subs) + 2 * len(ctx.commitments) + 8)
    usage_total = max(rows_target - special, len(subs) * len(periods)) * 1000 // 1004
    month_days = [calendar.monthrange(p.year, p.month)[1] for p in periods]
    pweights = [100 * _last_day(p, as_of) // month_days[i] or 1 for i, p in enumerate(periods)]
    pairs = [(k, s) for k in range(len(periods)) for s in subs]
    counts = _allocate(usage_total, [pweights[k] * s.weight for k, s in pairs])

    covered_by: dict[str, Commitment] = {}
    for c in ctx.commitments:
        for sid in c.covers:
            covered_by.setdefault(sid, c)
    commit_ids = {c.key: _commitment_id(c, by_id[c.owner_sub], seed) for c in ctx.commitments}

    usage: dict[tuple[int, str], list[dict]] = {}
    for (k, s), n in zip(pairs, counts):
        period = periods[k]
        rng = random.Random(f"tierline-demo/{seed}/usage/{period}/{s.provider}/{s.id}")
        last = _last_day(period, as_of)
        weights = [svc.weight for svc in s.services]
        out = []
        for _ in range(n):
            svc = rng.choices(s.services, weights=weights)[0]
            out.append(_usage_row(rng, s, svc, period, rng.randint(1, last), as_of, seed))
        usage[(k, s.id)] = out

    # Commitments: covered usage (Used), purchase and waste (Unused) per period.
    for c in ctx.commitments:
        owner = by_id[c.owner_sub]
        cid = commit_ids[c.key]
        for k, period in enumerate(periods):
            rng = random.Random(f"tierline-demo/{seed}/commitment/{c.key}/{period}")
            used = ZERO
            for sid in c.covers:
                for row in usage[(k, sid)]:
                    svc_ok = row["SkuId"] == SERVICES[c.provider][0].sku
                    if not svc_ok or rng.randint(1, 10) > 7:
                        continue
                    effective = ledger(D(row["ContractedCost"]) * (1 - c.discount))
                    used += effective
                    row.update({
                        "BilledCost": "0", "EffectiveCost": num(effective), "PricingCategory": "Committed",
                        "CommitmentDiscountId": cid, "CommitmentDiscountName": c.name,
                        "CommitmentDiscountCategory": c.category, "CommitmentDiscountType": c.type,
                        "CommitmentDiscountStatus": "Used",
                        "CommitmentDiscountQuantity": row["PricingQuantity"] if c.category == "Usage"
                        else num(effective),
                        "CommitmentDiscountUnit": c.unit,
                    })
            utilisation = Decimal(rng.randint(86, 97)).scaleb(-2)
            if c.key in UNDER_USED:               # drawn first, so the other commitments keep their rows
                utilisation = D(UNDER_USED[c.key])
            fee = (used / utilisation).quantize(CENT, rounding=ROUND_CEILING) if used else D("250.00")
            unused = fee - used
            svc = SERVICES[c.provider][0]
            purchase = _amount_row(owner, period, as_of, category="Purchase", amount=fee,
                                   description=f"{c.name} recurring fee", service=svc,
                                   frequency="Recurring", list_and_contracted=True)
            purchase.update({"EffectiveCost": "0", "SkuId": c.sku, "PricingCategory": "Committed",
                             "PricingQuantity": "1", "PricingUnit": "Commitment",
                             "ResourceId": cid, "ResourceName": c.name, "ResourceType": c.type})
            waste = _amount_row(owner, period, as_of, category="Usage", amount=ZERO,
                                description=f"{c.name} unused commitment", service=svc,
                                frequency="Usage-Based")
            waste.update({"EffectiveCost": num(unused), "PricingCategory": "Committed",
                          "ResourceId": cid, "ResourceName": c.name, "ResourceType": c.type,
                          "CommitmentDiscountStatus": "Unused"})
            for row in (purchase, waste):
                row.update({"CommitmentDiscountId": cid, "CommitmentDiscountName": c.name,
                            "CommitmentDiscountCategory": c.category, "CommitmentDiscountType": c.type,
                            "CommitmentDiscountUnit": c.unit})
            waste["CommitmentDiscountQuantity"] = num(unused)
            usage[(k, owner.id)].extend([purchase, waste])

    # Credits.
    for k, period in enumerate(periods):
        for s in subs:
            rows = usage[(k, s.id)]
            on_demand = [r for r in rows if r["ChargeCategory"] == "Usage" and r["BilledCost"] != "0"]
            billed = sum((D(r["BilledCost"]) for r in on_demand), ZERO)
            credit: tuple[Decimal, str, Service] | None = None
            lost = s.customer == LOST_PEC_CUSTOMER and k == len(periods) - 1
            if s.provider == "Microsoft" and s.account.id != BILLING_ACCOUNTS["ms-fabrikam"].id and billed > 0 \
                    and not lost:
                top = max(s.services, key=lambda v: sum((D(r["BilledCost"]) for r in on_demand
                                                          if r["SkuId"] == v.sku), ZERO))
                credit = (ledger(billed * D("0.15")), "Partner Earned Credit (PEC)", top)
            elif s.provider == "Google Cloud":
                compute = sum((D(r["BilledCost"]) for r in on_demand
                               if r["ServiceName"] == "Compute Engine"), ZERO)
                if compute > 0:
                    credit = (ledger(compute * D("0.20")), "Sustained use discount", SERVICES[s.provider][0])
            elif s.provider == "AWS" and billed > 0 and int(_digest("promo", s.id, n=4), 16) % 5 == 0:
                credit = (min(D("100.00"), ledger(billed * D("0.10"))), "AWS Activate promotional credit",
                          SERVICES["AWS"][0])
            if credit is not None and credit[0] > 0:
                rows.append(_amount_row(s, period, as_of, category="Credit", amount=-credit[0],
                                        description=credit[1], service=credit[2]))

    # Provider tax: per linked account on AWS, per billing account elsewhere.
    for k, period in enumerate(periods):
        taxable: dict[tuple[str, str], Decimal] = {}
        for s in subs:
            total = sum((D(r["BilledCost"]) for r in usage[(k, s.id)]), ZERO)
            key = (s.account.id, s.id if s.provider == "AWS" else "")
            taxable[key] = taxable.get(key, ZERO) + total
        for s in subs:
            key = (s.account.id, s.id if s.provider == "AWS" else "")
            if key not in taxable:
                continue
            total = taxable.pop(key)
            tax = ledger(total * s.account.tax_rate)
            if tax <= 0:
                continue
            row = _amount_row(s, period, as_of, category="Tax", amount=tax,
                              description=s.account.tax_label, service=None, list_and_contracted=True)
            if s.provider != "AWS":
                row.update({"SubAccountId": "", "SubAccountName": "", "SubAccountType": ""})
            usage[(k, s.id)].append(row)

    # Corrections: re-rated usage of the previous month, billed in the later period.
    for k in range(1, len(periods)):
        period = periods[k]
        rng = random.Random(f"tierline-demo/{seed}/corrections/{period}")
        for provider in PROVIDERS:
            candidates = [(s, r) for s in subs if s.provider == provider
                          for r in usage[(k - 1, s.id)]
                          if r["ChargeCategory"] == "Usage" and r["ChargeClass"] == ""
                          and not r.get("CommitmentDiscountStatus") and D(r["BilledCost"]) > 0]
            if not candidates:
                continue
            n = max(2, len(candidates) // 250)
            for s, original in rng.sample(candidates, min(n, len(candidates))):
                share = Decimal(rng.randint(10, 50)).scaleb(-2)
                sign = -1 if rng.randint(1, 3) == 1 else 1
                row = dict(original)
                row.update(_base_row(s, period, as_of))
                fields = ("ListCost", "ContractedCost", "BilledCost", "EffectiveCost", "PricingQuantity",
                          "ConsumedQuantity")
                for f in fields:
                    row[f] = num(ledger(D(original[f]) * share * sign))
                row["ChargeClass"] = "Correction"
                row["ChargeDescription"] = (f"Correction: {'refund of over-billed' if sign < 0 else 'late-arriving'}"
                                            f" usage for {periods[k - 1]:%Y-%m}")
                usage[(k, s.id)].append(row)

    for k, period in enumerate(periods):
        for provider in PROVIDERS:
            rows = [r for s in subs if s.provider == provider for r in usage[(k, s.id)]]
            rows.sort(key=lambda r: (r["ChargePeriodStart"], r["BillingAccountId"], r["SubAccountId"],
                                     r["ChargeCategory"], r["ServiceName"], r["SkuId"],
                                     r.get("ResourceId", ""), r["BilledCost"], r["ChargeDescription"]))
            ctx.rows[(provider, period)] = rows


def write_focus_csv(path: Path, rows: list[dict]) -> None:
    """FOCUS 1.2 CSV: header of the spec's columns, empty cells for nulls, '\\n' line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FOCUS_COLUMNS)
        for row in rows:
            writer.writerow([row.get(c, "") for c in FOCUS_COLUMNS])


def generate_demo_files(out_dir: Path, *, as_of: date, seed: int = 7, rows: int = 60000,
                        doc: ConfigDocument | None = None) -> tuple[list[Path], int]:
    """Write the demo FOCUS files; return (paths, total rows). No store needed."""
    doc = doc or load_config(DEMO_CONFIG)
    subs, commitments = _inventory(doc, seed)
    ctx = _Ctx(as_of=as_of, periods=demo_periods(as_of), seed=seed, doc=doc, subs=subs,
               commitments=commitments)
    _generate(ctx, rows)
    paths: list[Path] = []
    total = 0
    for period in ctx.periods:
        for provider in PROVIDERS:
            path = Path(out_dir) / f"{FILE_SLUG[provider]}-focus-{period:%Y-%m}.csv"
            data = ctx.rows[(provider, period)]
            write_focus_csv(path, data)
            paths.append(path)
            total += len(data)
    return paths, total


def demo_config(periods: list[date]) -> ConfigDocument:
    """The committed demo configuration plus FX rates for `periods`."""
    doc = load_config(DEMO_CONFIG)
    return doc.model_copy(update={"fx_rates": [*doc.fx_rates, *demo_fx_rates(periods)]})


def build_demo(con, *, as_of: date | None = None, seed: int = 7, rows: int = 60000,
               out_dir: Path | None = None,
               progress: Callable[[float, str], None] | None = None) -> dict:
    """Generate the demo files, ingest them, import the demo configuration. Returns a summary:
    {periods: [date], files: [Path], rows: int, customers: int, users: int, config_version: int}."""
    from data.ingest import ingest_paths

    as_of = as_of or date.today()
    out_dir = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    periods = demo_periods(as_of)
    note = progress or (lambda fraction, message: None)
    note(0.0, "reading the demo configuration")
    doc = demo_config(periods)
    note(0.05, "writing FOCUS files")
    # Demo files of other periods (an earlier --as-of) would be picked up by a later
    # `cli.py ingest DIR`: remove them (only files named the way this module names them).
    for old in sorted(out_dir.glob("*-focus-*.csv")) if out_dir.is_dir() else []:
        if _FILE_NAME.match(old.name):
            old.unlink()
    paths, total = generate_demo_files(out_dir, as_of=as_of, seed=seed, rows=rows, doc=doc)
    note(0.35, "importing the configuration")
    version = import_config(con, doc, imported_by="demo")

    def ingest_progress(fraction: float, message: str) -> None:
        note(0.4 + 0.6 * max(0.0, min(1.0, fraction)), message)

    note(0.4, "ingesting FOCUS files")
    ingest_paths(con, [str(p) for p in paths], loaded_by="demo", progress=ingest_progress)
    note(1.0, "demo ready")
    orgs = doc.organizations_all()
    return {
        "periods": periods,
        "files": paths,
        "rows": total,
        "customers": sum(1 for o in orgs if o.kind == "customer"),
        "resellers": sum(1 for o in orgs if o.kind == "reseller"),
        "users": len(doc.users),
        "config_version": version,
        "as_of": as_of,
        "seed": seed,
    }
