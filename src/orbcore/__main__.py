"""``python -m orbcore``."""

import sys

from orbcore._cli import main

sys.exit(main())
