"""The house shows the data flow: no import circles, each stage importing only earlier ones.

import-linter (``make lint``) checks the layer order and that the core imports no face; this
test adds what import-linter's contracts do not: not even two modules of one stage import each
other in a circle, and each subpackage names its public entry points.
"""

from __future__ import annotations

import importlib

import grimp
import networkx as nx
import pytest

SUBPACKAGES = (
    "area", "network", "hazard", "scenario", "demand", "plan", "sim", "results", "optimize",
    "display", "maps", "report", "export",
)  # fmt: skip


def _module_graph() -> nx.DiGraph:
    graph = grimp.build_graph("evacsim", include_external_packages=False)
    g = nx.DiGraph()
    for module in graph.modules:
        g.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)
    return g


def test_no_import_cycles() -> None:
    cycles = [" -> ".join(c) for c in nx.simple_cycles(_module_graph())]
    assert cycles == []


def test_the_cycle_check_can_fail() -> None:
    g = _module_graph()
    g.add_edge("evacsim.area.layers", "evacsim.sim.simulation")  # a reverse arrow
    assert any(nx.simple_cycles(g))


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_exports_resolve(name: str) -> None:
    package = importlib.import_module(f"evacsim.{name}")
    assert package.__all__, f"evacsim.{name} exports nothing"
    for attribute in package.__all__:
        assert getattr(package, attribute) is not None, f"evacsim.{name}.{attribute}"
