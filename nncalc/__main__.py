"""python -m nncalc"""

import sys

from nncalc.cli import main

sys.exit(main())
