"""The document as the pure objects the pricing engine computes with: organisations (the root
included), plans and the FX table. No I/O."""
from __future__ import annotations

from typing import TYPE_CHECKING

from data.config.models import ConfigDocument

if TYPE_CHECKING:
    from pricing.fx import FxTable
    from pricing.hierarchy import Org
    from pricing.plans import Plan


def to_pricing(doc: ConfigDocument) -> tuple[dict[str, Org], dict[str, Plan], FxTable]:
    """(orgs by id incl. the root, plans by id, FxTable) for pricing/ (no I/O)."""
    from pricing.fx import FxTable
    from pricing.hierarchy import Org

    orgs = {o.id: Org(id=o.id, name=o.name, kind=o.kind, parent=o.parent, currency=o.currency,
                      plan=o.plan, tax_rate_pct=o.tax_rate_pct)
            for o in doc.organizations_all()}
    plans = {p.id: p.to_plan() for p in doc.plans}
    fx = FxTable(rates={(r.period, r.from_ccy, r.to_ccy): r.rate for r in doc.fx_rates})
    return orgs, plans, fx
