"""Shared test set-up: screens show local times, so every test runs in UTC for stable snapshots."""

import os
import time

os.environ["TZ"] = "UTC"
time.tzset()
