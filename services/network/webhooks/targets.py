"""Where a webhook may go. A member's URL must not reach the service's own network: a
target that resolves to a private, loopback, link-local, multicast, reserved or
unspecified address is refused (unless ``webhook_allow_private_targets``). The check runs
when the endpoint is registered and again when each attempt resolves the host; the
attempt then connects to the very address that was checked, so a DNS answer that changes
in between (rebinding) cannot slip through."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class Refused(Exception):
    """The target may not be called; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The address to connect to for ``url``, checked; :class:`Refused` if none may be."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Refused("the URL must be http(s) with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise Refused(f"the host {parts.hostname} does not resolve ({exc})") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise Refused(f"the host {parts.hostname} does not resolve")
    if not allow_private:
        bad = [str(a) for a in addresses if _forbidden(a)]
        if bad:
            raise Refused(
                f"{parts.hostname} resolves to a private or local address ({', '.join(bad)}); "
                "webhooks go only to public addresses"
            )
    return Target(parts.scheme, parts.hostname, port, str(addresses[0]))
