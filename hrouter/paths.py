"""Where hrouter keeps its files: config dir (policy), state dir (audit log, HMAC key).

``$HROUTER_HOME``, when set, replaces both platformdirs locations:
config = ``$HROUTER_HOME/config``, state = ``$HROUTER_HOME/state``.
Otherwise platformdirs' user config/state dirs for app ``hrouter``.
A leading ``~`` in it is expanded (``HROUTER_HOME="~/x"``, quoted so the shell did not); set
but empty or blank (``HROUTER_HOME=``) counts as unset, as with most variables, so the default dirs are used.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "hrouter"


def hrouter_home() -> Path | None:
    """``$HROUTER_HOME`` with a leading ``~`` expanded; None when unset, empty or only blanks."""
    home = os.environ.get("HROUTER_HOME")
    if not home or not home.strip():
        return None
    return Path(os.path.expanduser(home))


def config_dir() -> Path:
    """Directory holding the user's ``hrouter.yaml`` (not created here)."""
    home = hrouter_home()
    if home is not None:
        return home / "config"
    import platformdirs
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def state_dir() -> Path:
    """Directory holding the audit log and the HMAC key (not created here)."""
    home = hrouter_home()
    if home is not None:
        return home / "state"
    import platformdirs
    return Path(platformdirs.user_state_dir(APP, appauthor=False))


#: The shared state database's file name, in :func:`state_dir`.
STATE_DB = "state.db"
