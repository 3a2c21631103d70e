"""A chain snapshot that cannot hide a failure.

ape 0.8.51's `chain.isolate()` swallows every exception raised inside it (AssertionError included),
so a failing check inside it passes silently. Tests and hypothesis examples use `isolated(chain)`
instead: it restores the snapshot and lets the exception through.
"""

from contextlib import contextmanager


@contextmanager
def isolated(chain):
    snapshot = chain.snapshot()
    pending_timestamp = chain.pending_timestamp
    try:
        yield
    finally:
        chain.restore(snapshot)
        chain.pending_timestamp = pending_timestamp
