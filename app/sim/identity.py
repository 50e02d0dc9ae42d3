"""Identifiers and network addresses for simulated accounts, drawn so that IP structure is real.

The campaign signal an analyst looks for is infrastructure: many accounts on a few datacenter
/24s. The look-alikes are infrastructure too: a corporate NAT, a university, cloud egress shared
by strangers, a reseller relaying hundreds of home connections. This module draws each kind
from plausible public ranges (never private or documentation ranges), and mints opaque ids
that reveal nothing about an account's role.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hex_strings", "unique_hex", "residential_ips", "ipv6_ips", "subnet_pool",
           "single_ips", "format_v4", "RANGES"]

#: first octets per kind of network (public space; chosen to look like the real allocations)
RANGES: dict[str, tuple[int, ...]] = {
    "residential": (24, 47, 67, 68, 69, 70, 71, 73, 75, 76, 86, 90, 92, 98, 99, 108, 112, 114,
                    118, 121, 124, 174, 177, 179, 181, 186, 187, 189, 190, 2, 5, 31, 37, 78, 79,
                    80, 82, 83, 84, 85, 87, 88, 89, 93, 94, 95, 101, 110, 111, 113, 115, 116,
                    117, 119, 120, 122, 123, 125, 175, 180, 182, 183, 211, 218, 219, 220, 222),
    "datacenter": (5, 23, 37, 45, 46, 62, 77, 91, 103, 104, 107, 139, 146, 154, 155, 156, 158,
                   162, 167, 172, 176, 178, 185, 188, 192, 193, 194, 195, 198, 199, 209, 212, 216),
    "cloud": (3, 13, 18, 34, 35, 44, 52, 54, 20, 40, 104, 130, 146),
    "business": (12, 63, 64, 65, 66, 80, 81, 194, 195, 212, 213, 217, 62, 193, 204, 206, 208),
    "university": (128, 129, 130, 131, 132, 134, 137, 138, 140, 141, 142, 143, 144, 152, 155, 160),
}

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_strings(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """``n`` random lowercase hex strings of ``width`` characters, as a numpy ``S`` array."""
    digits = rng.integers(0, 16, size=(n, width), dtype=np.uint8)
    chars = _HEX[digits]
    return np.ascontiguousarray(chars).view(f"S{width}").reshape(n)


def unique_hex(rng: np.random.Generator, n: int, width: int, prefix: str) -> list[str]:
    """``n`` distinct ids ``prefix + hex``, in random order."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for raw in hex_strings(rng, (n - len(out)) + 8, width):
            s = prefix + raw.decode()
            if s not in seen:
                seen.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return out


def format_v4(octets: np.ndarray) -> list[str]:
    """Dotted-quad strings from an ``(n, 4)`` integer array."""
    return [f"{a}.{b}.{c}.{d}" for a, b, c, d in octets.tolist()]


def _octets(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    first = np.asarray(RANGES[kind])[rng.integers(0, len(RANGES[kind]), n)]
    rest = rng.integers(0, 256, size=(n, 3))
    rest[:, 0] = rng.integers(1, 255, n)
    rest[:, 2] = rng.integers(2, 254, n)
    return np.column_stack([first, rest])


def residential_ips(rng: np.random.Generator, n: int, distinct_24: bool = False) -> list[str]:
    """Home-connection IPv4s; with ``distinct_24`` no two share a /24."""
    if not distinct_24:
        return format_v4(_octets(rng, n, "residential"))
    out: list[str] = []
    seen: set[tuple[int, int, int]] = set()
    while len(out) < n:
        for row in _octets(rng, (n - len(out)) * 2 + 4, "residential").tolist():
            key = (row[0], row[1], row[2])
            if key in seen:
                continue
            seen.add(key)
            out.append("{}.{}.{}.{}".format(*row))
            if len(out) == n:
                break
    return out


def ipv6_ips(rng: np.random.Generator, n: int) -> list[str]:
    """Residential IPv6 addresses in a few big ISP /32s (Comcast-, DT- and BT-like)."""
    heads = ("2601:{:x}", "2003:{:x}", "2a00:23c{:x}", "2600:1700", "2a02:{:x}", "240e:{:x}")
    h = rng.integers(0, len(heads), n)
    a = rng.integers(0x100, 0xfff, n)
    words = rng.integers(0, 0x10000, size=(n, 5))
    out = []
    for hi, ai, w in zip(h.tolist(), a.tolist(), words.tolist()):
        head = heads[hi].format(ai % 16 if hi == 2 else ai)
        out.append(f"{head}:{w[0]:x}:{w[1]:x}:{w[2]:x}:{w[3]:x}:{w[4]:x}")
    return out


def subnet_pool(rng: np.random.Generator, kind: str, subnets: int, per_subnet: tuple[int, int]
                ) -> tuple[list[str], list[str]]:
    """A pool of IPs packed into ``subnets`` /24s of ``kind``: (ips, the /24 prefixes)."""
    ips: list[str] = []
    prefixes: list[str] = []
    for row in _octets(rng, subnets, kind).tolist():
        prefix = f"{row[0]}.{row[1]}.{row[2]}"
        prefixes.append(prefix + ".0/24")
        k = int(rng.integers(per_subnet[0], per_subnet[1] + 1))
        hosts = np.sort(rng.choice(np.arange(2, 254), size=min(k, 252), replace=False))
        ips += [f"{prefix}.{h}" for h in hosts.tolist()]
    return ips, prefixes


def single_ips(rng: np.random.Generator, n: int, kind: str) -> list[str]:
    """``n`` independent addresses of ``kind`` (NAT gateways, university egress, CI runners)."""
    return format_v4(_octets(rng, n, kind))
