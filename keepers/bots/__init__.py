"""Silverback bots. Each fetches, calls the pure modules, and sends; no computation lives here."""
