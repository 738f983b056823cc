"""Where hrouter keeps its files: config dir (policy), state dir (audit log, HMAC key).

``$HROUTER_HOME``, when set, replaces both platformdirs locations:
config = ``$HROUTER_HOME/config``, state = ``$HROUTER_HOME/state``.
Otherwise platformdirs' user config/state dirs for app ``hrouter``.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "hrouter"


def config_dir() -> Path:
    """Directory holding the user's ``hrouter.yaml`` (not created here)."""
    home = os.environ.get("HROUTER_HOME")
    if home:
        return Path(home) / "config"
    import platformdirs
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def state_dir() -> Path:
    """Directory holding the audit log and the HMAC key (not created here)."""
    home = os.environ.get("HROUTER_HOME")
    if home:
        return Path(home) / "state"
    import platformdirs
    return Path(platformdirs.user_state_dir(APP, appauthor=False))


#: The shared state database's file name, in :func:`state_dir`.
STATE_DB = "state.db"
