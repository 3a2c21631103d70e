"""The lifecycle domain's day-count and business-day conventions: one vocabulary for the
registry's terms (`instruments`), the schedules computed with QuantLib (`schedule`) and the chain,
whose `interfaces/IInstrumentRegistry.sol` declares the same enums (each member's value is its uint8
there; `contracts/lifecycle/DayCount.sol` computes with them)."""

from enum import IntEnum


class DayCountConvention(IntEnum):
    """The on-chain `DayCountConvention` (its uint8 is the value)."""

    ACTUAL_360 = 0
    ACTUAL_365_FIXED = 1
    THIRTY_360_BOND_BASIS = 2


class BusinessDayConvention(IntEnum):
    """The on-chain `BusinessDayConvention` (its uint8 is the value)."""

    UNADJUSTED = 0
    FOLLOWING = 1
    MODIFIED_FOLLOWING = 2
    PRECEDING = 3
