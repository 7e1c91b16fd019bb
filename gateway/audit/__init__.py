"""The gateway's audit log: sign-ins (both outcomes), API keys made, rotated, revoked and
used (the first use in each hour), and permission refusals. Read by an organisation's
admins (their organisation's entries) and by the operator (all)."""
