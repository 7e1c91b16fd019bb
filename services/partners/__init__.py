"""The partners service: partner organisations, and (later) collaborations and topic groups."""
