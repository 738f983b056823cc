"""``python -m hrouter``: the same as the ``hrouter`` command."""

from .cli import main

if __name__ == "__main__":
    main()
