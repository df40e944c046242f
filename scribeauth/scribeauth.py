"""The 1.x module path (``from scribeauth.scribeauth import ScribeAuth``), kept for old imports."""

from __future__ import annotations

from .compat import *  # noqa: F403  (the 1.x names, exactly compat's __all__)
from .compat import __all__  # noqa: F401
