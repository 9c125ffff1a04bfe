"""The import graph between Lantau's top-level packages, at a git revision or in the work tree.

    python scripts/import_graph.py [--rev REV] [--modules]

Prints one line per edge `importer -> imported`, with how many modules of the importer import
the other package (any `import`/`from ... import` in the module, also inside functions or
`if TYPE_CHECKING:`; those two kinds are counted apart as `lazy` and `typing`). Only edges
between the packages below are listed; a package importing itself is not an edge.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

PACKAGES = ("node", "sequencer", "prover", "bridge", "genesis", "rwa")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class ImportSite:
    package: str  # the top-level package imported
    kind: str  # "top" (module level), "lazy" (inside a function) or "typing" (if TYPE_CHECKING)


def python_sources(rev: str | None) -> Iterator[tuple[str, str]]:
    """(path, text) of every .py file under the packages, at `rev` (None: the work tree)."""
    if rev is None:
        for package in PACKAGES:
            for path in sorted((REPO_ROOT / package).rglob("*.py")):
                yield str(path.relative_to(REPO_ROOT)), path.read_text()
        return
    listing = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "--", *PACKAGES],
                             cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout
    for path in listing.splitlines():
        if path.endswith(".py"):
            text = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=REPO_ROOT, check=True,
                                  capture_output=True, text=True).stdout
            yield path, text


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_sites(tree: ast.AST) -> Iterator[ImportSite]:
    def visit(node: ast.AST, kind: str) -> Iterator[ImportSite]:
        for child in ast.iter_child_nodes(node):
            child_kind = kind
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and kind == "top":
                child_kind = "lazy"
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                child_kind = "typing"
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield ImportSite(alias.name.split(".")[0], child_kind)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield ImportSite(child.module.split(".")[0], child_kind)
            yield from visit(child, child_kind)

    yield from visit(tree, "top")


@dataclass
class Edge:
    kinds: dict[str, int]  # kind -> number of importer modules whose strongest import is of it
    modules: list[str]  # the importer's modules that import the other package


def edges(rev: str | None) -> dict[tuple[str, str], Edge]:
    """(importer, imported) -> the edge: how many modules of the importer import it, and which."""
    found: dict[tuple[str, str], Edge] = defaultdict(lambda: Edge(defaultdict(int), []))
    for path, text in python_sources(rev):
        importer = path.split("/")[0]
        kinds: dict[str, set[str]] = defaultdict(set)
        for site in import_sites(ast.parse(text, filename=path)):
            if site.package in PACKAGES and site.package != importer:
                kinds[site.package].add(site.kind)
        for imported, seen in kinds.items():
            # A module counts once per edge, under its strongest kind of import.
            kind = "top" if "top" in seen else "lazy" if "lazy" in seen else "typing"
            found[(importer, imported)].kinds[kind] += 1
            found[(importer, imported)].modules.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="a git revision (default: the work tree)")
    parser.add_argument("--modules", action="store_true", help="name the importing modules of each edge")
    args = parser.parse_args(argv)
    graph = edges(args.rev)
    print(f"import edges between {', '.join(PACKAGES)} at {args.rev or 'the work tree'}")
    for (importer, imported), edge in sorted(graph.items()):
        total = sum(edge.kinds.values())
        detail = ", ".join(f"{count} {kind}" for kind, count in sorted(edge.kinds.items()) if kind != "top")
        print(f"  {importer:9} -> {imported:9} {total:3} module(s){f' ({detail})' if detail else ''}")
        if args.modules:
            print(f"      {' '.join(sorted(edge.modules))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
