"""``o2-sim``: the launcher of the local exchange server (:func:`o2_sim_server.main`).

The server needs aiohttp, which is an optional dependency (the ``aiohttp`` extra). The
launcher imports the server only when it runs, so that without aiohttp ``o2-sim``
prints one line naming the extra to install and exits with status 1, not a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: What ``o2-sim`` prints when aiohttp is not installed.
MISSING_AIOHTTP = (
    "o2-sim: the local exchange server needs aiohttp, which is not installed: "
    "pip install 'o2-sansio[aiohttp]'"
)


def main(argv: Sequence[str] | None = None) -> None:
    """Console script ``o2-sim``: serve the local exchange until interrupted."""
    try:
        from o2_sim_server import main as serve
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] != "aiohttp":
            raise
        print(MISSING_AIOHTTP, file=sys.stderr)
        sys.exit(1)
    serve(None if argv is None else list(argv))


__all__ = ["MISSING_AIOHTTP", "main"]

if __name__ == "__main__":
    main()
