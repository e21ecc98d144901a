"""Configuration as code: the hierarchy, account mappings, price plans, FX rates and users
as ONE YAML document (docs/config.md).

- `parse_config(text)` / `load_config(path)` read and validate a document. Every problem is
  collected; one `ConfigError` lists them, one per line, each naming the file, the path in
  the document (`plans[2].rules[0].basis`), the line, and what is allowed.
- Numbers are never floats: the YAML loader keeps every scalar as its text, and money and
  percentages are built from that text (`pricing.money.D`). IDs such as 200000000012 stay
  strings even when written unquoted.
- `to_pricing(doc)` builds the pure objects the pricing engine uses.
- `import_config(con, doc)` replaces the cfg_* tables in one transaction and stores the
  document as a new version in cfg_documents; `current_config` / `export_config` read it back,
  `current_pricing` as the pricing objects a billing run uses (parsed once per document).
- `plans_owned` / `save_plan` let an organisation's admins edit the plans it sells on.

One module per job; callers import from `data.config`, which re-exports every public name:

    errors.py           ConfigIssue, ConfigError, document paths (`plans[2].rules[0]`)
    yamltext.py         YAML read as text, with the line of every path
    fields.py           the allowed words and bounds, one validator per field type
    models.py           the *Spec models and ConfigDocument (each item checked alone)
    messages.py         issues with their lines; pydantic errors as "…; allowed: …" sentences
    cross_checks.py     checks across items (ids, tree, plans, mappings, rates, users)
    validate.py         parse_config, load_config, validate_document
    pricing_objects.py  to_pricing: the document as pricing/'s pure objects
    storage.py          import, read back, export; locked FX rates; the import's audit entry
    plan_editing.py     plans edited by their owner's admins
    branding.py         a seller's Branding and a buyer's Party for the invoice documents
"""
from __future__ import annotations

from data.config.branding import buyer_party, invoice_prefixes, seller_branding
from data.config.errors import ConfigError, ConfigIssue, Path_, format_path, parse_path
from data.config.fields import (
    ID_RULE,
    LEDGER_PLACES,
    MAX_AMOUNT,
    MAX_FX_RATE,
    MAX_MARKUP_PCT,
    MAX_TIER_START,
    ORG_KINDS,
    PCT_PLACES,
    ROOT_KINDS,
    SECTIONS,
    Amount,
    BcryptHash,
    Currency,
    Date,
    Dec,
    Email,
    Id,
    MarkupPct,
    Pct,
    Period,
    Rate,
    Text,
    TierStart,
    Username,
)
from data.config.models import (
    BandSpec,
    BrandingSpec,
    BudgetSpec,
    ConfigDocument,
    FeeSpec,
    FxRateSpec,
    MappingSpec,
    OrgSpec,
    PlanSpec,
    RootSpec,
    RuleSpec,
    TiersSpec,
    UserSpec,
)
from data.config.plan_editing import parse_plan_text, plans_owned, save_plan
from data.config.pricing_objects import to_pricing
from data.config.storage import (
    current_config,
    current_config_data,
    current_pricing,
    current_seller_branding,
    current_version,
    dump_config,
    export_config,
    import_config,
)
from data.config.validate import load_config, parse_config, validate_document
from data.config.yamltext import _TextLoader
from data.roles import ROLES

__all__ = [
    # errors
    "ConfigError", "ConfigIssue", "Path_", "format_path", "parse_path",
    # the document's words, bounds and field types
    "ID_RULE", "LEDGER_PLACES", "MAX_AMOUNT", "MAX_FX_RATE", "MAX_MARKUP_PCT", "MAX_TIER_START",
    "ORG_KINDS", "PCT_PLACES", "ROLES", "ROOT_KINDS", "SECTIONS",
    "Amount", "BcryptHash", "Currency", "Date", "Dec", "Email", "Id", "MarkupPct", "Pct",
    "Period", "Rate", "Text", "TierStart", "Username",
    # the document
    "BandSpec", "BrandingSpec", "ConfigDocument", "FeeSpec", "FxRateSpec", "MappingSpec", "OrgSpec", "PlanSpec",
    "RootSpec", "RuleSpec", "TiersSpec", "UserSpec", "BudgetSpec",
    # reading, validating, storing, editing
    "load_config", "parse_config", "validate_document", "to_pricing",
    "current_config", "current_config_data", "current_pricing", "current_seller_branding",
    "current_version",
    "dump_config", "export_config", "import_config",
    "parse_plan_text", "plans_owned", "save_plan",
    # the invoice documents' branding
    "buyer_party", "invoice_prefixes", "seller_branding",
    # kept importable from here: tests load YAML with it
    "_TextLoader",
]
