"""Give freed memory back to the system, so a long import or analysis stays within its budget.

Two allocators keep memory a Python process has already freed: Arrow's pool keeps freed pages
for reuse (270 MB after the full-scale event read), and glibc raises its mmap threshold after
big blocks are freed, so the next arrays of tens of MB come from the heap and stay in the
process after ``del`` (measured: 1.3 GB kept after the read of 28.8M events). Detection calls
:func:`release_freed_memory` after its big steps; the importer after every stored batch.
"""

from __future__ import annotations

import ctypes

import pyarrow as pa

__all__ = ["release_freed_memory"]

_M_MMAP_THRESHOLD = -3


def release_freed_memory() -> None:
    """Return freed memory to the system: Arrow's pool, and glibc's heap (Linux only).

    A fixed 1 MB mmap threshold keeps large arrays mmap-backed, so freeing them unmaps them.
    Elsewhere (no glibc) only Arrow's pool is released.
    """
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass
