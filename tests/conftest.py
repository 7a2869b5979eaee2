"""Shared fixtures: the default knuckle crack is simulated once per test session."""

import pytest

import cavitation as cv


@pytest.fixture(scope="session")
def knuckle_crack() -> cv.CrackResult:
    """The default knuckle pull (60 N over 0.6 s, held 0.4 s)."""
    return cv.simulate()
