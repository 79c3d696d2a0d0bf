"""The package's shape, held by a test: sizes, layers, and imports that flow one way.

Imports are read from the source (``ast``), as Python runs them: an import under
``if TYPE_CHECKING:`` names a type for the type checker and never runs, so it does not
count; an import inside a function does, when the function runs.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_tm_auth"
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 150
MAX_FUNCTION_LINES = 60

#: What each room may import, besides itself. Lower rooms know nothing of higher ones.
ALLOWED = {
    "core": set(),
    "settings": {"core"},
    "http": {"core", "settings"},
    "store": {"core"},
    "providers": {"core", "settings", "http"},
    "run": {"core", "settings", "http", "store", "providers", "_compat", "sandbox"},
    # Reserved: what collects a run's test outcomes and sends them after it (see CONTRIBUTING).
    "results": {"core", "settings", "http", "store", "providers", "run", "_compat"},
    "sandbox": set(),
    "_compat": {"core"},
    "hookspecs": set(),
    "plugin": {"core", "settings", "run", "results", "providers", "hookspecs", "_compat"},
    "cli": {"core", "settings", "store", "providers", "run", "results"},
    "__main__": {"cli"},
    "__init__": {"core", "settings", "http", "run", "results", "_compat"},
}
#: Packages of the outside world that the rooms without pytest or HTTP must not import.
PURE = {"core": {"pytest", "_pytest", "pluggy", "requests", "urllib3"}}
PURE["settings"] = PURE["core"]
#: Modules outside the pure rooms held to the same rule: the broker's desk and channel.
PURE_MODULES = ("pytest_tm_auth.run.xdist.lease", "pytest_tm_auth.run.xdist.channel")
#: The only room that may import the HTTP libraries.
HTTP_LIBRARIES = {"requests", "urllib3"}
#: The run's wings: plugin objects a flag turns on, imported only by the registrar.
REGISTRAR = "pytest_tm_auth.run.modes"
WINGS = ("pytest_tm_auth.run.modes", "pytest_tm_auth.run.redaction", "pytest_tm_auth.run.xdist")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(name: str) -> str:
    """``pytest_tm_auth.core.cache`` -> ``core``; ``pytest_tm_auth`` -> ``__init__``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, package: str, top_level: bool) -> list[tuple[str, bool]]:
    """Every module imported at run time under ``node``, and whether at module level."""
    found: list[tuple[str, bool]] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            found += [item for item in _imports(ast.Module(child.orelse, []), package, top_level)]
            continue
        if isinstance(child, ast.Import):
            found += [(alias.name, top_level) for alias in child.names]
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1])
                base = f"{base}.{child.module}" if child.module else base
            # ``from package import module`` loads the module; the package is already loading.
            names = [f"{base}.{alias.name}" for alias in child.names]
            found += [(name, top_level) for name in names if name in KNOWN]
            if not any(name in KNOWN for name in names):
                found.append((base, top_level))
        inner = top_level and not isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        )
        found += _imports(child, package, inner)
    return found


@functools.cache
def imports_of(path: Path) -> tuple[tuple[str, bool], ...]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return tuple(_imports(tree, package, True))


KNOWN = {module_name(path) for path in modules()}


def own(imported: str) -> str | None:
    """The package's own module that an import names (``from x import name`` may name one)."""
    if imported in KNOWN:
        return imported
    parent = imported.rpartition(".")[0]
    return parent if parent in KNOWN and imported.startswith("pytest_tm_auth") else None


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_sizes_stay_readable(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert lines_of(node) <= MAX_CLASS_LINES, node.name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert lines_of(node) <= MAX_FUNCTION_LINES, node.name


def lines_of(node: ast.stmt) -> int:
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_imports_flow_down_the_layers(path: Path) -> None:
    here = room(module_name(path))
    allowed = ALLOWED[here] | {here}
    for imported, _ in imports_of(path):
        target = own(imported)
        if target is not None and target != "pytest_tm_auth":
            assert room(target) in allowed, f"{module_name(path)} imports {target}"
        top = imported.partition(".")[0]
        assert top not in PURE.get(here, set()), f"{module_name(path)} imports {imported}"


def test_no_module_imports_itself_back_at_import_time() -> None:
    """No cycle among the imports that run when a module is loaded."""
    graph = {
        module_name(path): {
            target
            for imported, top_level in imports_of(path)
            if top_level and (target := own(imported)) and target != module_name(path)
        }
        for path in modules()
    }
    for start, imported in graph.items():
        seen: set[str] = set()
        stack = list(imported)
        while stack:
            name = stack.pop()
            assert name != start, f"{start} imports itself back through {sorted(seen)}"
            if name not in seen:
                seen.add(name)
                stack.extend(graph.get(name, ()))


def test_the_pure_rooms_load_without_pytest_or_requests() -> None:
    """In a fresh interpreter: every module of core and settings, the broker's desk and
    channel, and nothing of the outside."""
    names = [module_name(path) for path in modules() if room(module_name(path)) in PURE]
    names += PURE_MODULES
    code = (
        "import sys\n"
        f"for name in {names!r}: __import__(name)\n"
        "print(sorted({m.partition('.')[0] for m in sys.modules} & "
        f"set({sorted(PURE['core'])!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_checks_see_what_they_guard() -> None:
    """The readers above find imports at every depth, and skip TYPE_CHECKING ones."""
    cache = PACKAGE / "core" / "cache.py"
    assert ("pytest_tm_auth.core.errors", True) in imports_of(cache)
    provider = imports_of(PACKAGE / "core" / "provider.py")
    assert not any(name.startswith("requests") for name, _ in provider)  # a TYPE_CHECKING one
    session = imports_of(PACKAGE / "http" / "session.py")
    assert ("pytest_tm_auth.http.network", False) in session  # inside a method


def every_import(path: Path) -> set[str]:
    """What ``path`` imports anywhere: at module level, in functions, and for the type checker."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            node.test = ast.Constant(True)  # read like any other block
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return {imported for imported, _ in _imports(tree, package, True)}


def circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One chain of imports that leads a module back to itself, if any."""
    for start in sorted(graph):
        paths = [[start, name] for name in sorted(graph[start])]
        seen: set[str] = set()
        while paths:
            path = paths.pop()
            if path[-1] == start:
                return path
            if path[-1] not in seen:
                seen.add(path[-1])
                paths += [[*path, name] for name in sorted(graph.get(path[-1], ()))]
    return None


def test_the_stand_in_imports_nothing_back() -> None:
    """In ``sandbox/`` no import closes a circle, not even one in a function or for types.

    The service modules sit below the route list, the route list below ``Sandbox``, and the
    route table and serving machinery know no service at all.
    """
    messages = every_import(PACKAGE / "sandbox" / "messages.py")
    assert "pytest_tm_auth.sandbox.state" in messages  # its only import is for the type checker
    stand_in = [path for path in modules() if room(module_name(path)) == "sandbox"]
    graph = {
        module_name(path): {
            target
            for imported in every_import(path)
            if (target := own(imported)) and target != module_name(path)
        }
        for path in stand_in
    }
    assert circle(graph) is None


def graph_of(paths: list[Path]) -> dict[str, set[str]]:
    """Each module's own imports, wherever they are written (see :func:`every_import`)."""
    return {
        module_name(path): {
            target
            for imported in every_import(path)
            if (target := own(imported)) and target not in (module_name(path), "pytest_tm_auth")
        }
        for path in paths
    }


def test_no_import_closes_a_circle() -> None:
    """In the whole package, no import leads back to its module: not one at module level,
    not one inside a function that runs later, not one written for the type checker."""
    assert circle(graph_of(modules())) is None


def wing_of(name: str) -> str | None:
    return next((wing for wing in WINGS if name.startswith(wing + ".")), None)


def test_wings_import_the_run_root_only_and_only_the_registrar_imports_them() -> None:
    """``run/modes/``, ``run/redaction/`` and ``run/xdist/`` build on the run root; none imports
    another wing or the registrar, and no module outside a wing imports one but the registrar,
    which does so only inside the function that needs it."""
    for name, imported in graph_of(modules()).items():
        here = wing_of(name)
        for target in imported:
            there = wing_of(target)
            if here is not None:
                assert target != REGISTRAR, f"{name} imports the registrar back"
                assert there in (None, here), f"{name} imports {target}, of another wing"
            elif there is not None:
                assert name == REGISTRAR, f"{name} imports {target}: only the registrar may"
    registrar = PACKAGE / "run" / "modes" / "__init__.py"
    for imported_name, top_level in imports_of(registrar):
        wing_module = own(imported_name)
        at_once = top_level and wing_module is not None and wing_of(wing_module) is not None
        assert not at_once, f"the registrar imports {wing_module} at import time"


def test_only_http_imports_the_http_libraries() -> None:
    """Counting every import that runs (at module level or in a function); one written for
    the type checker names a type and loads nothing."""
    for path in modules():
        name = module_name(path)
        if room(name) == "http":
            continue
        found = {imported.partition(".")[0] for imported, _ in imports_of(path)}
        assert not found & HTTP_LIBRARIES, f"{name} imports {sorted(found & HTTP_LIBRARIES)}"


def test_the_desk_and_channel_import_neither_pytest_nor_requests() -> None:
    for name in PURE_MODULES:
        path = PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py")
        found = {imported.partition(".")[0] for imported in every_import(path)}
        assert not found & PURE["core"], f"{name} imports {sorted(found & PURE['core'])}"


def test_module_names_are_unique() -> None:
    """One name, one module, outside the stand-in (a program of its own, served by the same
    package, whose services are named after the services the providers reach)."""
    names = [
        path.name
        for path in modules()
        if path.name not in ("__init__.py", "__main__.py") and room(module_name(path)) != "sandbox"
    ]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []
