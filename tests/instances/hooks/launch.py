"""A launch hook for the tests: restores a golden into DIR and starts a simulated gateway there, detached, on
PORT; prints the one JSON line the command launcher reads. Usage: launch.py GOLDEN DIR PORT [fail|hang|noise|nourl|leak]"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

golden, directory, port = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
how = sys.argv[4] if len(sys.argv) > 4 else ""
if how == "fail":
    print("error: no capacity in region ams (try another region)", file=sys.stderr)
    sys.exit(2)
if how == "leak":  # a CLI that prints what it was given: its log tail must not show the key
    print(f"error: bad request with key {os.environ['CONVOS_POOL_API_KEY']}", file=sys.stderr)
    sys.exit(2)
if how == "nourl":
    print(json.dumps({"id": "m-1"}))
    sys.exit(0)
if how == "hang":
    time.sleep(600)
state = directory / "home" / ".openclaw"
shutil.copytree(golden, state)
config = json.loads((state / "openclaw.json").read_text())
config["channels"]["convos"]["poolApiKey"] = "${CONVOS_POOL_API_KEY}"  # the key the console gave this hook
config["gateway"]["auth"]["token"] = "${OPENCLAW_GATEWAY_TOKEN}"
(state / "openclaw.json").write_text(json.dumps(config))
env = {
    **os.environ,
    "HOME": str(directory / "home"),
    "OPENCLAW_STATE_DIR": str(state),
    "CONVOS_SIM_SPEED": "20",
    "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
}
with open(directory / "sim.log", "ab") as log:
    child = subprocess.Popen(
        [sys.executable, "-m", "convos_tui.sim.instance", "gateway", "run", "--port", port],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
if how == "noise":
    print("Machine created, waiting for it to start...")
print(json.dumps({"id": f"pid-{child.pid}", "url": f"http://127.0.0.1:{port}"}))
