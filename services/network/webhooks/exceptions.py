from __future__ import annotations

from kit.errors import NotFound, Unprocessable


class EndpointNotFound(NotFound):
    slug, title = "webhook-endpoint-not-found", "Webhook endpoint not found"


class DeliveryNotFound(NotFound):
    slug, title = "webhook-delivery-not-found", "Webhook delivery not found"


class TargetRefused(Unprocessable):
    slug, title = "webhook-target-refused", "The webhook's target address is not allowed"
