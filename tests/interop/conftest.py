"""SHACL validation against the official DCAT-AP 3.0.1 shapes (a copy in tests/interop/shapes/)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

SHAPES_DIR = Path(
    os.environ.get(
        "DCAT_AP_SHAPES_DIR",
        Path(__file__).resolve().parent / "shapes" / "dcat-ap-3.0.1",
    )
)


@cache
def shapes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


@dataclass
class ShaclReport:
    violations: int
    warnings: int
    text: str


def shacl_check(data: Graph, *shape_files: str) -> ShaclReport:
    """Validate ``data`` and count results by severity (the recommended shapes are Warnings)."""
    _, results, text = validate(
        data, shacl_graph=shapes(*shape_files), inference="none", allow_warnings=True
    )
    severities = list(results.objects(None, SH.resultSeverity))
    return ShaclReport(
        violations=severities.count(SH.Violation), warnings=severities.count(SH.Warning), text=text
    )


@pytest.fixture
def catalogue_server():
    """A local HTTP server for harvest sources, stopped after the test."""
    from .harvest_server import CatalogueServer

    with CatalogueServer() as server:
        yield server
