"""Action networks (行动网络): membership networks of foundations, their coordinators and
members, the join and invitation handshakes, and the audit trail of every change."""
