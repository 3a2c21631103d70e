"""Governance watch: who holds which role, and which timelocked operations are pending."""
