"""Compliance domain (contracts/compliance, contracts/identity): jurisdiction defaults, onboarding,
sanctions screening, reports, and the sanctions screening keeper (`bot`)."""
