"""``python -m clipdoc``: the same as the ``clipdoc`` command."""

import sys

from ._cli import main

sys.exit(main())
