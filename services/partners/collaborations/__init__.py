"""Collaborations: work a foundation does together with one or more of its partner
organisations, with milestones, outcome figures, an update timeline and the funding its
partners received."""
