"""`python -m convos_tui`: the same program as `convos-tui`."""

from convos_tui.cli import main

if __name__ == "__main__":
    main(prog_name="convos-tui")
