from convos_tui.cli import main

main(prog_name="convos-tui")
