"""Building blocks every Foundation Network app uses.

``kit`` imports no app: services and the gateway import it, never the other way round.
"""
