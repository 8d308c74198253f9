"""The loss terms and the statistics they read: each term written once (terms.py)."""
