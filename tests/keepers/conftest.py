import pytest

from keepers import store


@pytest.fixture
def engine(tmp_path):
    return store.open_store(f"sqlite:///{tmp_path / 'keeper.sqlite'}")
