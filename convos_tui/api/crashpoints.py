"""Named moments at which a fault test kills this very process with SIGKILL, to prove what a crash leaves.

`CONVOS_TUI_CRASH_AT=request-sent convos-tui create GW` dies right after the create's request went out,
as a `kill -9` at that moment would. Unset (always, outside the fault tests), `reached` does nothing.
The points of a create, in order: `start` (nothing written yet), `audit-written` (the write-ahead row is
committed, nothing sent), `request-sent` (the request is out, no answer yet), `answer-received` (the
invite is in memory only), `stored` (the invite and the audit are committed, nothing printed).
"""

from __future__ import annotations

import os
import signal

ENV = "CONVOS_TUI_CRASH_AT"
POINTS = ("start", "audit-written", "request-sent", "answer-received", "stored")


def reached(point: str) -> None:
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
