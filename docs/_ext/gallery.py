"""Placeholder."""

def setup(app):
    return {}
