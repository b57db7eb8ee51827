"""Who is the client: the peer address, or - only behind a trusted proxy - the one it saw.

uvicorn's own ``proxy_headers`` believes ``X-Forwarded-For`` from any loopback peer, so a
local process could claim any address (and dodge the per-address limits). Here proxy headers
count only from the addresses given to ``serve --trusted-proxy``, and then only the last
entry (the one that proxy appended; anything before it came from the client).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """``--trusted-proxy`` values (addresses or CIDR networks); ValueError names a bad one."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"--trusted-proxy {value!r} is not an IP address or network") \
                from None
    return tuple(out)


def _in(host: str | None, networks: tuple[Network, ...]) -> bool:
    try:
        return host is not None and any(ipaddress.ip_address(host) in n for n in networks)
    except ValueError:
        return False


def client_address(request: Request, trusted: tuple[Network, ...]) -> str | None:
    peer = request.client.host if request.client else None
    if trusted and _in(peer, trusted):
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer  # no (or a garbled) header: the proxy itself is the client
    return peer
