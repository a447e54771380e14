"""A list hook for the tests: the ids of the launcher's gateways still running, as a JSON array.
Usage: list.py INSTANCES_DIR"""

import json
import os
import sys
from pathlib import Path

alive = []
for proc in Path("/proc").iterdir():
    if proc.name.isdigit():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            env_dir = os.readlink(proc / "cwd")
        except OSError:
            continue
        if b"convos_tui.sim.instance" in cmd and env_dir.startswith(sys.argv[1]):
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[0] != "Z":
                alive.append(f"pid-{proc.name}")
print(json.dumps(alive))
