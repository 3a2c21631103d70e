"""Compliance off-chain side: jurisdiction defaults, onboarding, screening, reports."""
