from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class KeyNotFound(NotFound):
    slug, title = "api-key-not-found", "API key not found"


class InvalidKeyRequest(Unprocessable):
    slug, title = "invalid-api-key-request", "The API key cannot be created as asked"
