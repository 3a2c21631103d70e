"""CMP-14: the shipped jurisdiction defaults: 50+ jurisdictions, the required ones present, each
sourced."""

import pytest

from keepers.compliance.jurisdictions import load_jurisdictions
from keepers.core.errors import QuanteraError

REQUIRED = {
    "United States": 840,
    "United Kingdom": 826,
    "Singapore": 702,
    "Japan": 392,
    "Switzerland": 756,
    "Hong Kong": 344,
    "United Arab Emirates": 784,
}
EU_MEMBERS = {
    40,
    56,
    100,
    191,
    196,
    203,
    208,
    233,
    246,
    250,
    276,
    300,
    348,
    372,
    380,
    428,
    440,
    442,
    470,
    528,
    616,
    620,
    642,
    703,
    705,
    724,
    752,
}


def test_defaults__shipped_file__fifty_plus_sourced_jurisdictions_including_the_required_ones():
    defaults = load_jurisdictions()
    by_iso = {d.iso: d for d in defaults}
    assert len(defaults) >= 50
    assert all(d.source for d in defaults)
    assert {d.name: d.iso for d in defaults if d.name in REQUIRED} == REQUIRED
    assert EU_MEMBERS <= set(by_iso)
    us = by_iso[840]
    assert (us.holder_cap, us.non_accredited_cap, us.min_class, us.flowback_days) == (
        2000,
        500,
        2,
        40,
    )
    assert not by_iso[408].allowed  # North Korea


def test_config__flowback_days__counted_from_deployment():
    us = next(d for d in load_jurisdictions() if d.iso == 840)
    assert us.config(deployed_at=1_000) == (True, 2, 2000, 500, 1_000 + 40 * 86_400)


@pytest.mark.parametrize(
    "body,message",
    [
        ("defaults:\n  - {iso: 840, name: US, allowed: true}\n", "missing source"),
        ("defaults:\n  - {iso: 1000, name: X, allowed: true, source: s}\n", "out of range"),
        ("defaults:\n  - {iso: 840, name: X, allowed: true, min_class: gold, source: s}\n", "gold"),
        ("not: [valid", "cannot read"),
    ],
)
def test_load__bad_file__one_clear_error_naming_the_entry(tmp_path, body, message):
    path = tmp_path / "j.yaml"
    path.write_text(body)
    with pytest.raises(QuanteraError, match=message):
        load_jurisdictions(path)
