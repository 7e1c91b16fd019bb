"""Self-organised crowdfunding guidance: a group the foundation guides (an owners'
committee raising for its property staff) records its plan, the amounts it reports raised
and used, and a transparency checklist; the foundation sees which groups are late to
report the use of funds."""
