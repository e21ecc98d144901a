"""The roles a user can hold (DOMAIN §3, docs/access.md), in the order a page lists them.

One list for the configuration (which roles a user may be given), the scoped access layer (what
each role sees) and the navigation (which links each role gets). Pure: no I/O, nothing imported.
"""
from __future__ import annotations

ROLES: tuple[str, ...] = ("admin", "leader", "account_manager", "customer")
