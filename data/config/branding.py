"""The configuration's branding as the document renderers take it: a seller's `Branding` (look,
terms, number prefixes, accounting codes) and a buyer's `Party`, for any organisation of the
document. An organisation without `branding` gets `Branding.plain` (its name, `ID-` numbers,
30 days, the default accounting codes)."""
from __future__ import annotations

from data.config.models import ConfigDocument, OrgSpec
from data.documents.branding import Branding, Party, load_logo


def _org(doc: ConfigDocument, org_id: str) -> OrgSpec:
    for org in doc.organizations_all():
        if org.id == org_id:
            return org
    raise ValueError(f"organisation {org_id!r} is not in the configuration.")


def seller_branding(doc: ConfigDocument, org_id: str) -> Branding:
    """The seller's branding; the logo is the data URI the stored document holds."""
    org = _org(doc, org_id)
    if org.branding is None:
        return Branding.plain(org.id, org.name)
    logo = None
    if org.branding.logo:
        logo = load_logo(org.branding.logo, ".", field_name=f"{org.id} branding logo")
    return org.branding.to_branding(org.id, org.name, logo=logo)


def buyer_party(doc: ConfigDocument, org_id: str) -> Party:
    """The buyer block: the organisation's name, the address lines and tax id of its branding
    (when it has one), and its billing e-mail."""
    org = _org(doc, org_id)
    brand = org.branding
    return Party(name=org.name, address_lines=tuple(brand.address_lines) if brand else (),
                 tax_id=brand.tax_id if brand else None, billing_email=org.billing_email)


def invoice_prefixes(doc: ConfigDocument | None) -> dict[str, str]:
    """{seller id: invoice number prefix} for the sellers whose branding sets one."""
    if doc is None:
        return {}
    return {o.id: o.branding.invoice_prefix for o in doc.organizations_all()
            if o.branding is not None and o.branding.invoice_prefix}
