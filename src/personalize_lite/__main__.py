"""``python -m personalize_lite``: the command line."""

from ._cli import main

raise SystemExit(main())
