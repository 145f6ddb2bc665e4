"""``o2``, the command line of the O2 Exchange SDK, and the ``o2-sim`` launcher.

``o2 markets``, ``o2 depth PAIR [--watch]``, ``o2 trades PAIR``, ``o2 balances ACCOUNT``,
``o2 orders ACCOUNT PAIR`` and ``o2 nonce ACCOUNT``, each with ``--json``, against the
embedded local exchange (the default), a built-in network (``--network``) or any
deployment (``--api URL``). Built on :class:`o2_core.O2Client` only; ``o2 --help`` says
the rest.
"""

from o2_core import __version__ as __version__

from .main import main, run

__all__ = ["main", "run"]
