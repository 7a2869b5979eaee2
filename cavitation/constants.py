"""Physical constants used across the chain, in SI units, each with its source."""

ATMOSPHERIC_PRESSURE_PA = 101325.0
"""Standard atmosphere [Pa] (ISO 2533)."""

BODY_TEMPERATURE_K = 310.15
"""Body temperature, 37 degC [K]."""

REFERENCE_PRESSURE_PA = 20e-6
"""Reference sound pressure for dB SPL in air [Pa] (ANSI S1.1)."""
