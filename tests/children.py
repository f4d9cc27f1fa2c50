"""What test subprocesses need to import the same stario as the test process."""

from __future__ import annotations

from pathlib import Path

import stario

# The directory this process imports stario from: ``src/`` for an editable install,
# site-packages for an installed wheel. Child processes put it first on PYTHONPATH, so
# a run against the compiled build starts compiled servers too.
STARIO_PATH = str(Path(stario.__file__).resolve().parents[1])
