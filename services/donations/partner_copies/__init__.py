"""The donations service's read copy of each foundation's partner organisations, kept by
the partners service's ``partners.partner.*`` events (never by reading its database), so
that a grant is paid only to one of the paying foundation's current partners."""
