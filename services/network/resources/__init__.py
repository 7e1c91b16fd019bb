"""Shared resources: guides, experience write-ups, templates, reports, offers, requests and
events, owned by one foundation and shared with the public, chosen networks or a pairing."""
