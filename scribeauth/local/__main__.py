"""``python -m scribeauth.local``: run the local Scribe stack until Ctrl-C."""

from __future__ import annotations

import sys

from scribeauth.local.serve import main

if __name__ == "__main__":
    sys.exit(main())
