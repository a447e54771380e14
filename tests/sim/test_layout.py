"""How the simulator's modules are laid out: no import cycle among them, none over 500 lines."""

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "convos_tui" / "sim"


def imports_within_the_simulator(path: Path) -> set[str]:
    """The sim modules `path` imports, wherever the import is (a deferred one in a function counts)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
            elif node.module and node.module.startswith("convos_tui.sim."):
                found.add(node.module.split(".")[2])
    return found & {p.stem for p in SIM.glob("*.py")}


def test_no_two_simulator_modules_import_each_other_even_through_others():
    graph = {path.stem: imports_within_the_simulator(path) for path in SIM.glob("*.py") if path.stem != "__init__"}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    cycles = sorted(module for module in graph if reaches(module, module, {module}))
    assert not cycles, {module: sorted(graph[module]) for module in cycles}


def test_no_simulator_module_is_over_500_lines():
    sizes = {path.name: len(path.read_text().splitlines()) for path in SIM.glob("*.py")}
    assert not {name: size for name, size in sizes.items() if size > 500}
