"""Instances this console starts: golden checkpoints, the process launchers, and what it remembers of them.

Nothing here imports Textual: the command line and (later) the console's action service call it.
"""
