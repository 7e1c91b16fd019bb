"""The scope every proxied route needs, checked at the gateway before the request is
forwarded (403 ``missing-scope`` without it); the services check the same scopes again,
and tenancy (another organisation's records answer 404) is theirs alone.

Scopes are those of :class:`kit.identity.Scope`, read or write per area: the donations
service's (``campaigns:read``, ``ledger:read``, and ``campaigns:``, ``donations:``,
``spending:``, ``grants:``, ``disclosures:write``, ``expenses:approve``), the partners
service's (``partners:read``/``partners:write``, with ``partners:contacts`` for contact
people) and the network's (``network:read``/``network:write``, which cover the sync feed
and webhooks; ``directory:admin`` registers foundations). An operation lists every scope it
needs; ``()`` means any authenticated caller (the service decides, as for a foundation
editing its own directory entry). ``HEAD`` needs what ``GET`` needs.

``tests/gateway/test_scopes.py`` checks that this table and the services' own
``Authorize`` rules agree, route by route, and that every route of the API document has
an entry. A path the table does not know is not a route: it is forwarded with its
identity and the service answers 404 or 405.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kit.identity import Scope as S

ROUTE_SCOPES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    # donations
    "/api/v1/campaigns": {"GET": (S.CAMPAIGNS_READ,), "POST": (S.CAMPAIGNS_WRITE,)},
    "/api/v1/campaigns/{campaign_id}": {"GET": (S.CAMPAIGNS_READ,), "PATCH": (S.CAMPAIGNS_WRITE,)},
    "/api/v1/campaigns/{campaign_id}/disclosures": {"POST": (S.DISCLOSURES_WRITE,)},
    "/api/v1/campaigns/{campaign_id}/distributions": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.SPENDING_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/distributions/{distribution_id}": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/donations": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.DONATIONS_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/donations/imports": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.DONATIONS_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/donations/{donation_id}": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/donations/{donation_id}/receipt": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/donations/{donation_id}/refunds": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.DONATIONS_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/expenses": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.SPENDING_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/expenses/{expense_id}": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/expenses/{expense_id}/approve": {
        "POST": (S.EXPENSES_APPROVE,)
    },
    "/api/v1/campaigns/{campaign_id}/expenses/{expense_id}/pay": {"POST": (S.SPENDING_WRITE,)},
    "/api/v1/campaigns/{campaign_id}/expenses/{expense_id}/reject": {"POST": (S.EXPENSES_APPROVE,)},
    "/api/v1/campaigns/{campaign_id}/in-kind-donations": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.DONATIONS_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/in-kind-donations/{donation_id}": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/purchases": {
        "GET": (S.CAMPAIGNS_READ,),
        "POST": (S.SPENDING_WRITE,),
    },
    "/api/v1/campaigns/{campaign_id}/purchases/{purchase_id}": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/stock": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/campaigns/{campaign_id}/transitions": {"POST": (S.CAMPAIGNS_WRITE,)},
    # partners
    "/api/v1/collaborations": {"GET": (S.PARTNERS_READ,), "POST": (S.PARTNERS_WRITE,)},
    "/api/v1/collaborations/{collaboration_id}": {
        "GET": (S.PARTNERS_READ,),
        "PATCH": (S.PARTNERS_WRITE,),
    },
    "/api/v1/collaborations/{collaboration_id}/funding": {"GET": (S.PARTNERS_READ,)},
    "/api/v1/collaborations/{collaboration_id}/milestones": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_WRITE,),
    },
    "/api/v1/collaborations/{collaboration_id}/milestones/{milestone_id}/completion": {
        "POST": (S.PARTNERS_WRITE,)
    },
    "/api/v1/collaborations/{collaboration_id}/outcomes": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_WRITE,),
    },
    "/api/v1/collaborations/{collaboration_id}/status": {"POST": (S.PARTNERS_WRITE,)},
    "/api/v1/collaborations/{collaboration_id}/updates": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_WRITE,),
    },
    "/api/v1/crowdfundings": {"GET": (S.PARTNERS_READ,), "POST": (S.PARTNERS_WRITE,)},
    "/api/v1/crowdfundings/{crowdfunding_id}": {"GET": (S.PARTNERS_READ,)},
    "/api/v1/crowdfundings/{crowdfunding_id}/checklist/{item}": {
        "PUT": (S.PARTNERS_READ, S.PARTNERS_WRITE)
    },
    "/api/v1/crowdfundings/{crowdfunding_id}/reports": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_READ, S.PARTNERS_WRITE),
    },
    # donations
    "/api/v1/disclosures": {"GET": (S.CAMPAIGNS_READ,)},
    "/api/v1/expenses": {"GET": (S.CAMPAIGNS_READ,)},
    # network
    "/api/v1/foundations": {"POST": (S.DIRECTORY_ADMIN,)},
    "/api/v1/foundations/{foundation_id}": {"PATCH": ()},
    # donations
    "/api/v1/grants/paid": {"GET": (S.LEDGER_READ,), "POST": (S.GRANTS_WRITE,)},
    "/api/v1/grants/paid/{grant_id}": {"GET": (S.LEDGER_READ,)},
    "/api/v1/grants/received": {"GET": (S.LEDGER_READ,), "POST": (S.GRANTS_WRITE,)},
    "/api/v1/grants/received/{grant_id}": {"GET": (S.LEDGER_READ,)},
    "/api/v1/ledger/conversions": {"GET": (S.LEDGER_READ,), "POST": (S.SPENDING_WRITE,)},
    "/api/v1/ledger/conversions/{conversion_id}": {"GET": (S.LEDGER_READ,)},
    "/api/v1/ledger/entries": {"GET": (S.LEDGER_READ,)},
    "/api/v1/ledger/entries/{entry_id}": {"GET": (S.LEDGER_READ,)},
    "/api/v1/ledger/trial-balance": {"GET": (S.LEDGER_READ,)},
    "/api/v1/ledger/verify": {"GET": (S.LEDGER_READ,)},
    # network
    "/api/v1/networks": {"GET": (S.NETWORK_READ,), "POST": (S.NETWORK_WRITE,)},
    "/api/v1/networks/{network_id}": {"GET": (S.NETWORK_READ,)},
    "/api/v1/networks/{network_id}/audit": {"GET": (S.NETWORK_READ,)},
    "/api/v1/networks/{network_id}/invitations": {"POST": (S.NETWORK_WRITE,)},
    "/api/v1/networks/{network_id}/join-requests": {"POST": (S.NETWORK_WRITE,)},
    "/api/v1/networks/{network_id}/members": {"GET": (S.NETWORK_READ,)},
    "/api/v1/networks/{network_id}/members/{foundation_id}": {
        "PATCH": (S.NETWORK_WRITE,),
        "DELETE": (S.NETWORK_WRITE,),
    },
    "/api/v1/networks/{network_id}/members/{foundation_id}/accept": {"POST": (S.NETWORK_WRITE,)},
    "/api/v1/networks/{network_id}/members/{foundation_id}/reject": {"POST": (S.NETWORK_WRITE,)},
    "/api/v1/offers": {"GET": (S.NETWORK_READ,), "POST": (S.NETWORK_WRITE,)},
    "/api/v1/offers/{offer_id}": {"GET": (S.NETWORK_READ,)},
    "/api/v1/offers/{offer_id}/claims": {
        "GET": (S.NETWORK_READ,),
        "POST": (S.NETWORK_READ, S.NETWORK_WRITE),
    },
    "/api/v1/offers/{offer_id}/matches": {"GET": (S.NETWORK_READ,)},
    "/api/v1/pairings": {"GET": (S.NETWORK_READ,), "POST": (S.NETWORK_WRITE,)},
    "/api/v1/pairings/{pairing_id}": {"GET": (S.NETWORK_READ,)},
    "/api/v1/pairings/{pairing_id}/accept": {"POST": (S.NETWORK_WRITE,)},
    "/api/v1/pairings/{pairing_id}/decline": {"POST": (S.NETWORK_WRITE,)},
    "/api/v1/pairings/{pairing_id}/end": {"POST": (S.NETWORK_WRITE,)},
    # partners
    "/api/v1/partners": {"GET": (S.PARTNERS_READ,), "POST": (S.PARTNERS_WRITE,)},
    "/api/v1/partners/{partner_id}": {"GET": (S.PARTNERS_READ,), "PATCH": (S.PARTNERS_WRITE,)},
    "/api/v1/partners/{partner_id}/archive": {"POST": (S.PARTNERS_WRITE,)},
    "/api/v1/partners/{partner_id}/contacts": {
        "GET": (S.PARTNER_CONTACTS_READ, S.PARTNERS_READ),
        "POST": (S.PARTNER_CONTACTS_READ, S.PARTNERS_WRITE),
    },
    "/api/v1/partners/{partner_id}/grants": {"GET": (S.PARTNERS_READ,)},
    "/api/v1/partners/{partner_id}/verification": {"POST": (S.PARTNERS_WRITE,)},
    # network
    "/api/v1/shared-resources": {"GET": (S.NETWORK_READ,), "POST": (S.NETWORK_WRITE,)},
    "/api/v1/shared-resources/{resource_id}": {
        "GET": (S.NETWORK_READ,),
        "PATCH": (S.NETWORK_WRITE,),
        "DELETE": (S.NETWORK_WRITE,),
    },
    # donations
    "/api/v1/stock": {"GET": (S.CAMPAIGNS_READ,)},
    # network
    "/api/v1/sync/changes": {"GET": (S.NETWORK_READ,)},
    # partners
    "/api/v1/topic-groups": {"GET": (S.PARTNERS_READ,), "POST": (S.PARTNERS_WRITE,)},
    "/api/v1/topic-groups/{topic_group_id}": {"GET": (S.PARTNERS_READ,)},
    "/api/v1/topic-groups/{topic_group_id}/activities": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_READ, S.PARTNERS_WRITE),
    },
    "/api/v1/topic-groups/{topic_group_id}/members": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_READ, S.PARTNERS_WRITE),
    },
    "/api/v1/topic-groups/{topic_group_id}/outputs": {
        "GET": (S.PARTNERS_READ,),
        "POST": (S.PARTNERS_READ, S.PARTNERS_WRITE),
    },
    "/api/v1/topic-groups/{topic_group_id}/outputs/{output_id}": {"GET": (S.PARTNERS_READ,)},
    "/api/v1/topic-groups/{topic_group_id}/outputs/{output_id}/publication": {
        "POST": (S.PARTNERS_READ, S.PARTNERS_WRITE)
    },
    # network
    "/api/v1/webhook-endpoints": {"GET": (S.NETWORK_WRITE,), "POST": (S.NETWORK_WRITE,)},
    "/api/v1/webhook-endpoints/{endpoint_id}": {
        "GET": (S.NETWORK_WRITE,),
        "DELETE": (S.NETWORK_WRITE,),
    },
    "/api/v1/webhook-endpoints/{endpoint_id}/deliveries": {"GET": (S.NETWORK_WRITE,)},
    "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}": {"GET": (S.NETWORK_WRITE,)},
    "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay": {
        "POST": (S.NETWORK_WRITE,)
    },
}

_PARAMETER = re.compile(r"\{[^/{}]+\}")


def _specificity(template: str) -> tuple[int, ...]:
    # A fixed segment is tried before a parameter in the same place:
    # .../donations/imports before .../donations/{donation_id}.
    return tuple(1 if _PARAMETER.fullmatch(s) else 0 for s in template.split("/"))


class ScopeTable:
    """Which scopes a request needs: one precompiled regular expression per method, whose
    matching alternative names the route (``lastgroup``)."""

    def __init__(self, table: Mapping[str, Mapping[str, tuple[str, ...]]] = ROUTE_SCOPES) -> None:
        self.table = table
        by_method: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for template, methods in table.items():
            for method, scopes in methods.items():
                by_method.setdefault(method, []).append((template, frozenset(scopes)))
        by_method.setdefault("HEAD", list(by_method.get("GET", [])))
        self._patterns: dict[str, tuple[re.Pattern[str], list[frozenset[str]], list[str]]] = {}
        for method, entries in by_method.items():
            entries.sort(key=lambda e: (len(e[0].split("/")), _specificity(e[0])))
            alternatives = [
                f"(?P<r{i}>"
                + "/".join(
                    "[^/]+" if _PARAMETER.fullmatch(s) else re.escape(s)
                    for s in template.split("/")
                )
                + ")"
                for i, (template, _) in enumerate(entries)
            ]
            self._patterns[method] = (
                re.compile("|".join(alternatives)),
                [scopes for _, scopes in entries],
                [template for template, _ in entries],
            )

    def route(self, method: str, path: str) -> tuple[str, frozenset[str]] | None:
        """The route template and the scopes it needs; None for no known route."""
        found = self._patterns.get(method)
        if found is None:
            return None
        pattern, scopes, templates = found
        match = pattern.fullmatch(path)
        if match is None or match.lastgroup is None:
            return None
        index = int(match.lastgroup[1:])
        return templates[index], scopes[index]

    def documented(self, method: str, template: str) -> tuple[str, ...] | None:
        """The scopes of an API document's operation (``get``, ``/api/v1/x/{id}``)."""
        methods = self.table.get(template)
        if methods is None:
            return None
        return methods.get(method.upper())
