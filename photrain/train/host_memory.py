"""Keep a training process's resident memory near what it uses (glibc's malloc; a no-op elsewhere).

glibc's malloc serves a large block from its own ``mmap`` (returned to the system when freed) only above a
threshold, and it raises that threshold, up to 32 MiB, each time such a block is freed (``mallopt(3)``,
M_MMAP_THRESHOLD). After the first few frees, the large temporaries of a run (the XLA compiler's, the
per-chunk gathers of training images, the evaluation batches) come from the heap arenas instead, and the
pages they free stay resident, fragmented: a 784-800-800-10 MNIST epoch with every forward product on the
ring banks grew the resident set by about 170 MB while training and peaked at 1264 MB, against 1085 MB with
the two settings below (``/tmp/r13/trimwrap.py``, one epoch; see issue 13's note).

* :func:`pin_mmap_threshold` fixes the threshold at :data:`MMAP_THRESHOLD` (which also stops its
  adjustment), so blocks of 1 MiB and more are mapped and unmapped;
* :func:`release_free_memory` (``malloc_trim(0)``, about 0.1 ms when little is free) hands the arenas'
  free pages back; the training loop calls it after every jitted chunk and evaluation.

Neither changes any value computed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: bytes: allocations this large or larger get their own mapping (glibc's default starts at 128 KiB and floats).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)


@functools.cache
def _libc():
    """The C library when it is glibc (it has mallopt and malloc_trim), else None."""
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return lib if lib is not None and hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else None


def pin_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes for the whole process; True if it was set."""
    lib = _libc()
    return bool(lib and lib.mallopt(_M_MMAP_THRESHOLD, int(threshold)))


def release_free_memory() -> bool:
    """Return malloc's free pages to the system (glibc ``malloc_trim(0)``); True if some were released."""
    lib = _libc()
    return bool(lib and lib.malloc_trim(0))
