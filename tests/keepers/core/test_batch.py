"""keepers/core/batch.py without a chain: the margin keeper's batched reads survive a transport
failure (retried, keepers.core.retries), keep their order over several batches, and raise after
the last attempt."""

import pytest

from keepers.core import batch, retries


@pytest.fixture
def no_back_off(monkeypatch):
    monkeypatch.setattr(retries.time, "sleep", lambda seconds: None)


def test_read_views__a_transport_failure__is_retried_and_the_batch_read_again(
    monkeypatch, no_back_off
):
    attempts = []

    def flaky(calls, block):
        attempts.append(block)
        if len(attempts) == 1:
            raise ConnectionError("connection reset by peer")
        return [name for _, name, _ in calls]

    monkeypatch.setattr(batch, "_batch", flaky)
    assert batch.read_views([(None, "a", ()), (None, "b", ())], block=7) == ["a", "b"]
    assert attempts == [7, 7]


def test_read_views__the_endpoint_stays_down__raises_after_the_last_attempt(
    monkeypatch, no_back_off
):
    def down(calls, block):
        raise TimeoutError("read timed out")

    monkeypatch.setattr(batch, "_batch", down)
    with pytest.raises(TimeoutError):
        batch.read_views([(None, "a", ())])


def test_read_views__many_calls__read_in_bounded_batches_in_order(monkeypatch):
    sizes = []

    def echo(calls, block):
        sizes.append(len(calls))
        return [args[0] for _, _, args in calls]

    monkeypatch.setattr(batch, "_batch", echo)
    n = 2 * batch.BATCH_CALLS + 5
    assert batch.read_views([(None, "v", (k,)) for k in range(n)]) == list(range(n))
    assert sizes == [batch.BATCH_CALLS, batch.BATCH_CALLS, 5]
