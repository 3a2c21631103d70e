"""Quantera off-chain side: keepers (silverback bots), pure models, and the `quantera` CLI."""

__version__ = "0.1.0"
