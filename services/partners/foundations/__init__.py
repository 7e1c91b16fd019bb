"""The partners service's read copy of the network's foundation directory (name and slug),
kept by the network.foundation.* events, never by reading network's database."""
