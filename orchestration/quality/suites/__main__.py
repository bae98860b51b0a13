"""``python -m orchestration.quality.suites [--check]``: regenerate the suites, or report drift."""

import sys

from orchestration.quality.suites import main

sys.exit(main())
