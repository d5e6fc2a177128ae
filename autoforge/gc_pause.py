"""Pausing Python's cyclic garbage collector around a burst of allocations.

Fetching 100,000 readings makes some 700,000 objects (a tuple and its values
per row), none of them in a reference cycle, and each burst of allocations
sets off collections that traverse them all again: about 60 ms of the 400 an
ml-data request took (sensors/views.py). Reference counting still frees
everything as usual; only the cycle detector waits until the block ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cycle collector off; as it was afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
