"""The gateway: the only public entry of Foundation Network.

It authenticates API keys, forwards each ``/api/v1/...`` request to the service that owns
the path with a signed identity token, and serves one merged OpenAPI document. The proxy
path is pure ASGI on one shared ``aiohttp`` client session: every request pays for it.
"""
