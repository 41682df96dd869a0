"""The structure the code keeps: layers, one place per kind of knowledge, small modules, no hidden state.

* imports run one way: cli -> api -> operations -> settings -> config ->
  stores -> core -> keys -> fileio -> errors (a module imports its own
  package and lower layers only); the CLI uses nothing but the API and the
  errors; stores never touch keys or the cipher; only the CLI imports click;
* key-type names appear only in ``keys/`` and format names only in
  ``stores/`` (so a new key type or format is one module and one registry line);
* no click option is defined twice; no module is over 500 lines but the
  documented YAML stages;
* after an operation, no module-level state of sealfile holds the plaintext.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import types
from pathlib import Path

import pytest

import sealfile
from conftest import make_age_key

PACKAGE = Path(sealfile.__file__).parent
LAYERS = ["cli", "api", "operations", "settings", "config", "stores", "core", "keys", "fileio", "errors",
          "records"]
FORMATS = {"yaml", "json", "dotenv", "ini", "binary"}
KEY_TYPES = {"age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"}
LONG_ALLOWED = {"stores/yaml/parser.py", "stores/yaml/emitter.py"}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(["sealfile", *parts]), path))
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Absolute names of sealfile modules (or names) imported anywhere in the module, with line numbers."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names if a.name.startswith("sealfile"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("sealfile"):
                if node.module is None or node.level and not node.module:
                    found.extend((f"{target}.{a.name}", node.lineno) for a in node.names)
                else:
                    found.append((target, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_imports_run_one_way():
    wrong = []
    for module, path in _modules():
        own = _layer(module)
        if own is None:
            continue
        for target, line in _imports(module, path):
            theirs = _layer(target)
            if theirs is None or theirs == own:
                continue
            if LAYERS.index(theirs) < LAYERS.index(own):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: {own} imports {target} ({theirs} is above it)")
    assert wrong == []


def test_cli_is_a_client_of_the_api_only():
    wrong = [f"{path.relative_to(PACKAGE)}:{line}: {target}"
             for module, path in _modules() if _layer(module) == "cli"
             for target, line in _imports(module, path)
             if _layer(target) not in ("cli", "api", "errors", "records", None)]
    assert wrong == []


def test_stores_never_touch_keys_or_the_cipher():
    forbidden = ("sealfile.keys", "sealfile.core.cipher", "sealfile.core.datakey", "sealfile.core.sopsfile")
    wrong = [f"{path.relative_to(PACKAGE)}:{line}: {target}"
             for module, path in _modules() if _layer(module) == "stores"
             for target, line in _imports(module, path) if target.startswith(forbidden)]
    assert wrong == []


def test_only_the_cli_imports_click():
    wrong = []
    for module, path in _modules():
        if _layer(module) == "cli":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "click" or n.startswith("click.") for n in names):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert wrong == []


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _names_used(path: Path, names: set[str]) -> list[str]:
    """String constants (not docstrings) equal to one of ``names``, and identifiers spelled like the
    ones with an underscore (``gcp_kms``): how a table of key types or formats would show."""
    tree = ast.parse(path.read_text())
    docs = _docstrings(tree)
    spelled = {n for n in names if "_" in n}
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if node.value in names:
                hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Name) and node.id in spelled:
            hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in spelled:
            hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.keyword) and node.arg in spelled:
            hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.arg}=")
    return hits


def h_is_report(path: Path) -> bool:
    return path.relative_to(PACKAGE).as_posix() == REPORT_OUTPUTS


def test_key_type_names_live_in_keys_only():
    hits = [h for module, path in _modules() if _layer(module) != "keys" for h in _names_used(path, KEY_TYPES)]
    assert hits == []


# Report outputs (``check --format json``, ``access --format json``) share a name with a file format but are
# not one; they are named in this one module only.
REPORT_OUTPUTS = "cli/reports.py"


def test_format_names_live_in_stores_only():
    hits = [h for module, path in _modules() if _layer(module) != "stores" and not h_is_report(path)
            for h in _names_used(path, FORMATS)]
    assert hits == []


def test_the_registries_list_every_key_type_and_format_once():
    from sealfile import keys, stores

    assert set(keys.names()) == KEY_TYPES
    assert {t.name for t in keys.key_types()} == KEY_TYPES  # each module declares the name it is registered under
    assert set(stores.FORMATS) == FORMATS and len(stores.FORMATS) == len(FORMATS)
    for fmt in stores.FORMATS:
        cls = stores.store_class(fmt)
        assert cls.name == fmt and isinstance(cls.example, bytes)


def test_no_click_option_is_defined_twice():
    seen: dict[str, str] = {}
    twice = []
    for module, path in _modules():
        if _layer(module) != "cli":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "option" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "click"):
                continue
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("--"):
                    where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                    if arg.value in seen:
                        twice.append(f"{arg.value}: {seen[arg.value]} and {where}")
                    seen[arg.value] = where
    assert twice == []


def test_modules_are_small():
    long = []
    for _, path in _modules():
        rel = str(path.relative_to(PACKAGE))
        lines = len(path.read_text().splitlines())
        if rel in LONG_ALLOWED:
            assert ast.get_docstring(ast.parse(path.read_text())), f"{rel} is long and must say why"
        elif lines > 500:
            long.append(f"{rel}: {lines} lines")
    assert long == []


def test_every_module_says_what_it_is_for():
    missing = [str(path.relative_to(PACKAGE)) for _, path in _modules()
               if path.name != "__main__.py" and not ast.get_docstring(ast.parse(path.read_text()))]
    assert missing == []


# --- no plaintext outlives the call -----------------------------------------------------------

def _holds(value: object, needle: str, depth: int, seen: set[int]) -> bool:
    if id(value) in seen or depth < 0:
        return False
    seen.add(id(value))
    if isinstance(value, str):
        return needle in value
    if isinstance(value, (bytes, bytearray)):
        return needle.encode() in value
    if isinstance(value, (types.ModuleType, types.FunctionType, type, types.BuiltinFunctionType)):
        return False
    if isinstance(value, dict):
        return any(_holds(k, needle, depth - 1, seen) or _holds(v, needle, depth - 1, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds(v, needle, depth - 1, seen) for v in value)
    attrs = getattr(value, "__dict__", None)
    return isinstance(attrs, dict) and _holds(attrs, needle, depth - 1, seen)


def _sealfile_globals_holding(needle: str) -> list[str]:
    for info in pkgutil.walk_packages(sealfile.__path__, "sealfile."):
        if info.name not in ("sealfile.__main__",):
            importlib.import_module(info.name)
    found = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("sealfile") or module is None:
            continue
        for attr, value in vars(module).items():
            if _holds(value, needle, 6, set()):
                found.append(f"{name}.{attr}")
    return found


def test_no_module_state_holds_plaintext_after_the_operations(tmp_path, env):
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    secret = "planted-" + tmp_path.name + "-" + "f0e1d2c3"
    texts = {"s.yaml": f"a: {secret}\nb: [1, {secret}]\n# {secret}\n",
             "s.json": f'{{"a": "{secret}"}}', "s.env": f"A={secret}\n", "s.ini": f"[x]\na = {secret}\n",
             "s.bin": f"raw {secret}\n"}
    for name, text in texts.items():
        path = tmp_path / name
        path.write_text(text)
        sealfile.encrypt_file(path, in_place=True, age=key.recipient, env=env, config=False)
        assert sealfile.decrypt_file(path, env=env, config=False)
        sealfile.load(path, env=env, config=False)
        sealfile.rotate_file(path, in_place=True, env=env, config=False)
        if name != "s.bin":
            sealfile.set_value(path, '["z"]' if name != "s.ini" else '["x"]["z"]', f'"{secret}2"', env=env,
                               config=False)
        f = sealfile.open_file(path, env=env, config=False)
        f.save(f.reencrypt())
        del f
    assert _sealfile_globals_holding(secret) == []


def test_the_planted_secret_scan_finds_what_it_looks_for():
    """The scan itself works: a value planted in a module global is found."""
    from sealfile.core import tree

    tree._planted_for_test = {"x": ["needle-7a1b"]}  # type: ignore[attr-defined]
    try:
        assert _sealfile_globals_holding("needle-7a1b") == ["sealfile.core.tree._planted_for_test"]
    finally:
        del tree._planted_for_test  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(sealfile.__all__))
def test_public_names_resolve_and_are_listed(name):
    assert getattr(sealfile, name) is not None
    assert name in dir(sealfile)
