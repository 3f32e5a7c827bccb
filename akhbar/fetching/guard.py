"""Refuse URLs that resolve to private, loopback, link-local or reserved
addresses (SSRF), unless a host or range is explicitly allowed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class BlockedAddress(Exception):
    """The URL points somewhere akhbar must not fetch from."""


class AddressGuard:
    def __init__(self, allow: tuple[str, ...] | list[str] = ()):
        self.allow_hosts: set[str] = set()
        self.allow_nets: list[ipaddress._BaseNetwork] = []
        for item in allow:
            item = item.strip().lower()
            if not item:
                continue
            try:
                self.allow_nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.allow_hosts.add(item)

    def _ip_allowed(self, ip: ipaddress._BaseAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allow_nets):
            return True
        # is_global is False for private, loopback, link-local (incl. the
        # 169.254.169.254 metadata address), CGNAT, reserved and unspecified.
        return ip.is_global and not ip.is_multicast

    async def check(self, url: str) -> None:
        """Raise BlockedAddress unless every address *url* resolves to is allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BlockedAddress(f"scheme {parts.scheme!r} is not fetched")
        host = (parts.hostname or "").lower()
        if not host:
            raise BlockedAddress("URL has no host")
        if host in self.allow_hosts:
            return
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addrs = [literal]
        else:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except socket.gaierror as exc:
                raise OSError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
            addrs = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for ip in addrs:
            if not self._ip_allowed(ip):
                raise BlockedAddress(
                    f"{host} resolves to non-public address {ip}; "
                    "add it to AKHBAR_ALLOW_HOSTS to allow it"
                )
