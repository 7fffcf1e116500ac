"""The shape of the package: which module may import what."""

import ast
import pathlib
import subprocess
import sys

import sheraf

PACKAGE = pathlib.Path(sheraf.__file__).parent
#: The only modules that may import gevent: sheraf.green, and the one module
#: that answers every "cooperative or not" question.
MAY_IMPORT_GEVENT = ("sheraf.green", "sheraf.cooperation")


def module_names():
    """Every module of the package, by dotted name: its path."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports(path, package):
    """The dotted names ``path`` imports, at any level of the code (an
    import inside a function is an import too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph():
    """Which of the package's modules each module imports."""
    names = module_names()
    graph = {}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = {
            imported
            for imported in imports(path, package)
            if imported in names and imported != name
        }
    return graph


def test_no_module_outside_green_and_cooperation_imports_gevent():
    offenders = {
        name: sorted(i for i in imports(path, name) if i.split(".")[0] == "gevent")
        for name, path in module_names().items()
        if not name.startswith(MAY_IMPORT_GEVENT)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    visiting, done, cycles = [], set(), []

    def visit(name):
        if name in visiting:
            cycles.append(visiting[visiting.index(name) :] + [name])
            return
        if name in done:
            return
        visiting.append(name)
        for imported in sorted(graph[name]):
            # Importing sheraf.x.y runs sheraf and sheraf.x first: a package
            # importing its own submodules is no cycle.
            if not name.startswith(imported + "."):
                visit(imported)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert cycles == [], " ; ".join(" -> ".join(cycle) for cycle in cycles)


def test_importing_sheraf_and_opening_a_database_does_not_load_gevent():
    script = (
        "import sys, sheraf\n"
        "with sheraf.Database().connection(commit=True) as connection:\n"
        "    connection.root()['x'] = 1\n"
        "sheraf.attempt(lambda: None)\n"
        "print('gevent' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
