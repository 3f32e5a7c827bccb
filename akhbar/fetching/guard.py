"""Refuse URLs that resolve to private, loopback, link-local or reserved
addresses (SSRF), unless a host or range is explicitly allowed.

The check runs twice for every connection: once on the URL before the
request is built (a clear reason, no socket opened) and once inside the
HTTP client's network backend (`GuardedBackend`), which resolves the host,
checks every address and connects to one of *those* addresses. A host
that answers DNS with a public address for the first lookup and a private
one for the second (DNS rebinding) is therefore still refused, and so is
every redirect hop and every pooled connection.

Strict mode (AKHBAR_SSRF_STRICT=1) ignores the allow list: only globally
routable addresses are ever contacted, loopback included in the refusal.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import select
import socket
from typing import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import httpcore

log = logging.getLogger(__name__)

# (host, port) -> IP address strings. The default asks the system resolver;
# tests pass their own to map names onto loopback addresses.
Resolver = Callable[[str, int], Awaitable[Iterable[str]]]


class BlockedAddress(Exception):
    """The URL points somewhere akhbar must not fetch from."""


async def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    return [info[4][0] for info in infos]


class AddressGuard:
    def __init__(self, allow: tuple[str, ...] | list[str] = (), *, strict: bool = False,
                 resolver: Resolver | None = None):
        self.strict = strict
        self.resolver = resolver or system_resolver
        self.allow_hosts: set[str] = set()
        self.allow_nets: list[ipaddress._BaseNetwork] = []
        if strict and any(a.strip() for a in allow):
            log.warning("strict SSRF mode: AKHBAR_ALLOW_HOSTS (%s) is ignored", ", ".join(allow))
            allow = ()
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

    async def resolve(self, host: str, port: int) -> list[ipaddress._BaseAddress]:
        """The addresses *host* stands for, all of them allowed, or BlockedAddress."""
        host = host.strip("[]").lower()
        if not host:
            raise BlockedAddress("URL has no host")
        try:
            addrs = [ipaddress.ip_address(host)]
        except ValueError:
            raw = await self.resolver(host, port)
            addrs = [ipaddress.ip_address(str(a).split("%")[0]) for a in raw]
        if not addrs:
            raise OSError(f"cannot resolve {host}: no address")
        for ip in addrs:
            if not self._ip_allowed(ip):
                hint = "strict SSRF mode refuses it" if self.strict else "add it to AKHBAR_ALLOW_HOSTS to allow it"
                raise BlockedAddress(f"{host} resolves to non-public address {ip}; {hint}")
        return addrs

    def host_allowed_by_name(self, host: str) -> bool:
        return host.strip("[]").lower() in self.allow_hosts

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
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise BlockedAddress(f"bad port in {url!r}") from exc
        await self.resolve(host, port)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to addresses the guard
    allowed, resolved once (no second, unchecked DNS lookup)."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None):
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self.guard.host_allowed_by_name(host):
            return _Stream(await self.inner.connect_tcp(host, port, timeout, local_address, socket_options))
        addrs = await self.guard.resolve(host, port)
        last: Exception | None = None
        for ip in addrs:
            try:
                return _Stream(await self.inner.connect_tcp(str(ip), port, timeout, local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise BlockedAddress("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """A connection of the guarded backend, with a cheap readability check.

    httpcore asks every idle pooled connection whether it is readable (the
    server closed it) each time it assigns a request; anyio answers by
    building a dict of every socket attribute, a getpeername() call
    included, which cost the ingest benchmark's crawler ~0.12 ms per idle
    connection per request. The raw socket is looked up once instead."""

    def __init__(self, inner: httpcore.AsyncNetworkStream):
        self._inner = inner
        self._sock = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> "_Stream":
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        if info == "is_readable" and self._sock is not None:
            return _readable(self._sock)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """Whether a read would return at once (data, or the EOF of a closed
    connection); a socket without a descriptor counts as readable (closed)."""
    fd = sock.fileno()
    if fd < 0:
        return True
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(0))
