"""Pairings (结对): standing cooperation between two foundations, proposed by one and
accepted or declined by the other, ended by either."""
