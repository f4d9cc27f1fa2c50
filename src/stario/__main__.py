"""``python -m stario``: the same command line as the ``stario`` script."""

from __future__ import annotations

from stario.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
