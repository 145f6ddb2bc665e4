"""The version of the o2-sansio distribution, written in this one place.

``pyproject.toml`` reads it at build time (``[tool.setuptools.dynamic]``, parsed, not
imported), so the wheel's metadata and ``o2_core.__version__`` cannot disagree; every
other package of the distribution re-exports ``o2_core.__version__``.
"""

__version__ = "0.1.0"
