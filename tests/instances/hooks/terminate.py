"""A terminate hook for the tests: stops the simulated gateway named by its id (pid-N). Usage: terminate.py ID"""

import os
import signal
import sys

pid = int(sys.argv[1].removeprefix("pid-"))
try:
    os.killpg(pid, signal.SIGTERM)
except ProcessLookupError:
    pass
