"""Shared test settings: a hypothesis profile without deadlines (CI machines are slow)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "o2", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("o2")
