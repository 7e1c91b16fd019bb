"""Expenses: submitted, approved by someone other than the submitter, then paid; or rejected."""

from __future__ import annotations

from kit.errors import Conflict, NotFound


class ExpenseNotFound(NotFound):
    slug, title = "expense-not-found", "Expense not found"


class ExpenseAlreadyDecided(Conflict):
    slug, title = "expense-already-decided", "The expense is no longer waiting for a decision"


class ExpenseNotApproved(Conflict):
    slug, title = "expense-not-approved", "Only an approved expense can be paid"


class SelfApproval(Conflict):
    slug, title = "self-approval", "An expense must be approved by someone other than its submitter"
