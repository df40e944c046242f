"""``python -m scribeauth.cli``: the ``scribeauth`` command."""

from __future__ import annotations

from . import main

raise SystemExit(main())
