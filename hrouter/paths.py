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


def expand_user(path, what: str = "path") -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded (:func:`os.path.expanduser`, which
    never raises, unlike :meth:`pathlib.Path.expanduser`). A ``~user`` whose home cannot be
    found raises :class:`hrouter.errors.InputError` (exit 2) naming ``what``, instead of
    becoming a directory literally named ``~user`` in the current directory."""
    text = os.fspath(path)
    expanded = os.path.expanduser(text)
    if expanded.startswith("~") and text.startswith("~"):
        from .errors import InputError

        user = text[1:].split(os.sep, 1)[0]
        raise InputError(f"{what} {text!r}: cannot expand ~{user} (no such user, or no home directory known)")
    return Path(expanded)


def hrouter_home() -> Path | None:
    """``$HROUTER_HOME`` with a leading ``~`` expanded; None when unset, empty or only blanks."""
    home = os.environ.get("HROUTER_HOME")
    if not home or not home.strip():
        return None
    return expand_user(home, "HROUTER_HOME")


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
