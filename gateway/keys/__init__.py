"""API keys: how machine clients (partner foundations' systems, sync jobs) authenticate.

A key reads ``fnet_<prefix>_<secret>``. The prefix is public and stored, so a leaked key is
recognisable and a presented key is found with one indexed lookup; only the SHA-256 of the
secret is stored. Keys are shown once, scoped, and revocable.
"""
