"""No import cycles between the modules of poe_tui.

`make lint` runs import-linter's `acyclic_siblings` contract (pyproject.toml), which sees a
cycle between two siblings of a package but not one through the package's own
`__init__` (it is no sibling of its modules): this test checks every module, including
those. Imports under `if TYPE_CHECKING:` are left out, as in the contracts, because they
never run; lazy imports inside functions count, since they are still dependencies."""

from __future__ import annotations

import grimp


def test_no_module_is_part_of_an_import_cycle() -> None:
    graph = grimp.build_graph("poe_tui", exclude_type_checking_imports=True, cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append(" -> ".join((module, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
