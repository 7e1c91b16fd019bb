"""Every model of the service, imported in one place for migrations and tests."""

from kit.events.inbox import dead_letters, inbox
from kit.events.outbox import outbox
from kit.idempotency import idempotency_keys
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.disclosures.models import Disclosure, DisclosureKind
from services.donations.distributions.models import Distribution, DistributionLine
from services.donations.donations.models import (
    CampaignDonor,
    CampaignTally,
    Channel,
    Donation,
    ReceiptCounter,
)
from services.donations.expenses.models import Expense, ExpenseStatus
from services.donations.foundations.models import FoundationCopy
from services.donations.grants.models import GrantPaid, GrantReceived
from services.donations.imports.models import DonationImport
from services.donations.in_kind.models import InKindDonation
from services.donations.ledger.models import (
    Conversion,
    JournalEntry,
    JournalLine,
    LedgerHead,
    LedgerTotal,
    LogQueue,
)
from services.donations.log.models import LogKey, LogLeaf, LogNode, TreeHead
from services.donations.partner_copies.models import PartnerCopy
from services.donations.purchases.models import Purchase, PurchaseLine
from services.donations.refunds.models import Refund
from services.donations.supplies.models import StockItem, StockMovement

__all__ = [
    "Campaign",
    "CampaignDonor",
    "CampaignStatus",
    "CampaignTally",
    "Channel",
    "Conversion",
    "Disclosure",
    "DisclosureKind",
    "Distribution",
    "DistributionLine",
    "Donation",
    "DonationImport",
    "Expense",
    "ExpenseStatus",
    "FoundationCopy",
    "GrantPaid",
    "GrantReceived",
    "InKindDonation",
    "JournalEntry",
    "JournalLine",
    "LedgerHead",
    "LedgerTotal",
    "LogKey",
    "LogLeaf",
    "LogNode",
    "LogQueue",
    "PartnerCopy",
    "Purchase",
    "PurchaseLine",
    "ReceiptCounter",
    "Refund",
    "StockItem",
    "StockMovement",
    "TreeHead",
    "dead_letters",
    "idempotency_keys",
    "inbox",
    "outbox",
]
