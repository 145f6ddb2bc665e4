"""``python -m o2_cli``: the ``o2`` command."""

from .main import main

if __name__ == "__main__":
    main()
