"""Generate gloo_ai/_sync/_generated.py: the sync client as a thin layer over AsyncGloo.

Run ``python scripts/gen_sync.py`` after changing a public async method; a test
(tests/test_sync_client.py) regenerates the file and fails if it differs, and walks every
public async method to check its sync counterpart.

Starting from `AsyncGloo` and the stream and page types, every class reachable through a
public method's or property's return annotation that has async methods (or is an async
iterator or context manager) gets a sync twin. A twin's method has the async method's exact
parameters (copied from the source, so mypy sees the same types) and a one-line body that
runs the async method on the client's portal (gloo_ai/_sync/_portal.py) and wraps what comes
back (`to_sync`): an `AsyncStream` becomes a `Stream`, a coroutine a result, an async
iterator an iterator.
"""

# ruff: noqa: E501 (the templates of generated lines are long)

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "gloo_ai" / "_sync" / "_generated.py"

# Where discovery starts; everything reachable from these gets a twin.
ROOTS = [
    ("gloo_ai._client", "AsyncGloo"),
    ("gloo_ai._streaming", "AsyncStream"),
    ("gloo_ai._pagination", "AsyncPage"),
    ("gloo_ai._pagination", "AsyncPaginator"),
]
TWIN_NAMES = {"AsyncPage": "SyncPage", "AsyncPaginator": "SyncPaginator"}
RENAMED_METHODS = {"aclose": "close"}
# Members that have no sync meaning.
SKIPPED = {"__await__", "__anext__"}
ASYNC_ITERATORS = re.compile(r"\bAsync(?:Iterator|Iterable)\[(.*)\]$")
ASYNC_GENERATOR = re.compile(r"\bAsyncGenerator\[(.*), None\]$")


def cast(annotation: str, expression: str) -> str:
    """``expression`` (which is Any) as ``annotation`` for mypy."""
    if annotation in ("Any", "None"):
        return expression
    return f"cast({annotation!r}, {expression})"


def twin_name(name: str) -> str:
    """The sync twin's name: AsyncStream -> Stream, ChatCompletionStream -> SyncChat..."""
    if name in TWIN_NAMES:
        return TWIN_NAMES[name]
    return name[len("Async") :] if name.startswith("Async") else f"Sync{name}"


@dataclass
class Source:
    """A module's source: its AST and where each name it uses comes from."""

    module: str
    tree: ast.Module
    origins: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (mod, attr)

    @classmethod
    def load(cls, module: str) -> Source:
        path = Path(inspect.getsourcefile(importlib.import_module(module)) or "")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        source = cls(module, tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                for alias in node.names:
                    source.origins[alias.asname or alias.name] = (base, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    source.origins[alias.asname or alias.name] = (alias.name, None)
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for name in names:
                source.origins[name] = (module, name)
        return source

    def find_class(self, name: str) -> ast.ClassDef:
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        raise LookupError(f"{self.module} has no class {name}")


_SOURCES: dict[str, Source] = {}


def source_of(module: str) -> Source:
    if module not in _SOURCES:
        _SOURCES[module] = Source.load(module)
    return _SOURCES[module]


def decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for d in node.decorator_list:
        if isinstance(d, ast.Name):
            names.add(d.id)
        elif isinstance(d, ast.Attribute):
            names.add(d.attr)
    return names


def is_generator(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


@dataclass
class Member:
    """One public member of an async class, as the twin declares it."""

    kind: str  # "method", "async", "agen", "property", "cached", "enter", "exit", "iter", "attr"
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | None
    overloads: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    annotation: str | None = None
    source: Source | None = None
    bound: dict[str, tuple[str, Source]] = field(default_factory=dict)  # type parameter -> arg


def type_parameters(cls: ast.ClassDef) -> list[str]:
    """The type parameters ``cls`` declares (``Generic[_K, _C]`` among its bases)."""
    for base in cls.bases:
        if isinstance(base, ast.Subscript) and ast.unparse(base.value) == "Generic":
            elements = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            return [ast.unparse(e) for e in elements]
    return []


def class_members(source: Source, cls: ast.ClassDef) -> dict[str, Member]:
    """The public members of ``cls`` and of its bases defined in gloo_ai, nearest first; a
    generic base's type parameters are replaced by what ``cls`` binds them to."""
    members: dict[str, Member] = {}
    for base in cls.bases:
        base_name = ast.unparse(base).split("[")[0]
        found = resolve_class(source, base_name)
        if found is None:
            continue
        base_source, base_cls = found
        bound: dict[str, tuple[str, Source]] = {}
        if isinstance(base, ast.Subscript):
            elements = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            for parameter, argument in zip(type_parameters(base_cls), elements, strict=False):
                bound[parameter] = (ast.unparse(argument), source)
        for name, member in class_members(base_source, base_cls).items():
            if bound:
                member = dataclasses.replace(member, bound={**member.bound, **bound})
            members[name] = member
    own: dict[str, Member] = {}
    for node in cls.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and not node.target.id.startswith("_")
            and "ClassVar" not in ast.unparse(node.annotation)
        ):
            name = node.target.id
            own[name] = Member("attr", name, None, [], ast.unparse(node.annotation), source)
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = node.name
        decorators = decorator_names(node)
        if name == "__init__":
            own.update(init_attributes(source, node))
            continue
        special = {"__aiter__": "iter", "__aenter__": "enter", "__aexit__": "exit"}
        if name.startswith("_") and name not in special:
            continue
        if name in SKIPPED:
            continue
        if "overload" in decorators:
            own.setdefault(name, Member("pending", name, None)).overloads.append(node)
            continue
        if name in special:
            kind = special[name]
        elif "property" in decorators:
            kind = "property"
        elif "cached_property" in decorators:
            kind = "cached"
        elif isinstance(node, ast.AsyncFunctionDef):
            kind = "agen" if is_generator(node) else "async"
        else:
            kind = "method"
        member = own.setdefault(name, Member(kind, name, node))
        member.kind, member.node = kind, node
    for member in own.values():
        member.source = source
    members.update(own)
    return members


_NEEDS: dict[tuple[str, str], bool] = {}


def init_attributes(
    source: Source, init: ast.FunctionDef | ast.AsyncFunctionDef
) -> dict[str, Member]:
    """The public ``self.x = ...`` of ``__init__``: typed attributes, and the methods that
    ``self.x = raw_response_wrapper(resource.x)`` declares (``with_raw_response``)."""
    params = {
        a.arg: a.annotation
        for a in [*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs]
        if a.annotation is not None
    }
    found: dict[str, Member] = {}
    for stmt in ast.walk(init):
        target = value = annotation = None
        if isinstance(stmt, ast.AnnAssign):
            target, value, annotation = stmt.target, stmt.value, stmt.annotation
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and not target.attr.startswith("_")
        ):
            continue
        name = target.attr
        if (
            isinstance(value, ast.Call)
            and ast.unparse(value.func) == "raw_response_wrapper"
            and value.args
            and isinstance(value.args[0], ast.Attribute)
            and isinstance(value.args[0].value, ast.Name)
        ):
            owner = params.get(value.args[0].value.id)
            wrapped = resolve_class(source, ast.unparse(owner)) if owner is not None else None
            if wrapped is not None:
                method = class_members(*wrapped).get(value.args[0].attr)
                if method is not None and method.node is not None:
                    found[name] = Member("raw", name, method.node, [], None, method.source)
                    continue
        if annotation is None and isinstance(value, ast.Name) and value.id in params:
            annotation = params[value.id]
        text = ast.unparse(annotation) if annotation is not None else "Any"
        found.setdefault(name, Member("attr", name, None, [], text, source))
    return found


def needs_twin(source: Source, cls: ast.ClassDef) -> bool:
    """Whether ``cls`` has async members, or members that return a class that has."""
    key = (source.module, cls.name)
    if key in _NEEDS:
        return _NEEDS[key]
    _NEEDS[key] = False  # a cycle does not make a class async
    members = class_members(source, cls).values()
    found = bool({m.kind for m in members} & {"async", "agen", "iter", "enter", "raw"})
    for member in members:
        if found:
            break
        found = any(needs_twin(*target) for target in returned_classes(member))
    _NEEDS[key] = found
    return found


def returned_classes(member: Member) -> list[tuple[Source, ast.ClassDef]]:
    """The gloo_ai classes named in ``member``'s return annotation (type parameters bound)."""
    returns = member.node.returns if member.node is not None else None
    if returns is None or member.source is None:
        return []
    found = []
    pending = [(ast.unparse(returns), member.source)]
    while pending:
        text, source = pending.pop()
        for ident in IDENT.findall(text):
            if ident in member.bound:
                pending.append(member.bound[ident])
                continue
            target = resolve_class(source, ident)
            if target is not None:
                found.append(target)
    return found


def resolve_class(source: Source, ident: str) -> tuple[Source, ast.ClassDef] | None:
    """The gloo_ai class ``ident`` names in ``source``, if it is one."""
    origin = source.origins.get(ident)
    for _ in range(5):  # follow re-exports (a package's __init__ importing from a module)
        if not origin or not origin[0].startswith("gloo_ai") or not origin[1]:
            return None
        try:
            target_source = source_of(origin[0])
        except ImportError:
            return None
        try:
            return target_source, target_source.find_class(origin[1])
        except LookupError:
            following = target_source.origins.get(origin[1])
            if following == origin:
                return None
            origin = following
    return None


IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Twin:
    """A class to generate: the async original and where it is defined."""

    module: str
    name: str

    @property
    def sync_name(self) -> str:
        return twin_name(self.name)


class NameClash(Exception):
    """Twin names that are also names of imported types."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(names)
        self.names = names


class Generator:
    def __init__(self) -> None:
        self.twins: dict[str, Twin] = {}  # async name -> twin
        self.type_imports: dict[str, tuple[str, str | None]] = {}
        self.runtime_imports: dict[str, tuple[str, str | None]] = {}
        self.locals: dict[str, tuple[str, str | None]] = {}
        self.bound: dict[str, tuple[str, Source]] = {}  # the member being emitted's

    # -- discovery -----------------------------------------------------------------------------

    def discover(self) -> None:
        queue = [Twin(module, name) for module, name in ROOTS]
        while queue:
            twin = queue.pop(0)
            if twin.name in self.twins:
                continue
            self.twins[twin.name] = twin
            source = source_of(twin.module)
            for member in class_members(source, source.find_class(twin.name)).values():
                for found in returned_classes(member):
                    if needs_twin(*found):
                        queue.append(Twin(found[0].module, found[1].name))

    # -- names -----------------------------------------------------------------------------------

    def sync_text(self, text: str, source: Source, *, runtime: bool = False) -> str:
        """An annotation (or default) of ``source``, with twins for async classes, and the
        names it needs recorded for import."""
        generator = ASYNC_GENERATOR.search(text)
        if generator:
            text = text[: generator.start()] + f"Iterator[{generator.group(1)}]"
        iterator = ASYNC_ITERATORS.search(text)
        if iterator:
            text = text[: iterator.start()] + f"Iterator[{iterator.group(1)}]"

        def replace(match: re.Match[str]) -> str:
            ident = match.group(0)
            if ident in self.bound:
                bound_text, bound_source = self.bound[ident]
                return self.sync_text(bound_text, bound_source, runtime=runtime)
            if ident in self.twins:
                return self.twins[ident].sync_name
            if ident == "Iterator":
                self.type_imports["Iterator"] = ("collections.abc", "Iterator")
                return ident
            origin = source.origins.get(ident)
            if origin is None:
                return ident
            local = self.local_name(ident, origin)
            (self.runtime_imports if runtime else self.type_imports)[local] = origin
            return local

        # Only identifiers that start a dotted name (httpx in httpx.Timeout) are names.
        return re.sub(r"(?<![.\w'\"])[A-Za-z_][A-Za-z0-9_]*", replace, text)

    def local_name(self, ident: str, origin: tuple[str, str | None]) -> str:
        """The name ``ident`` (from ``origin``) has here: itself, unless another origin took
        it first (two modules' ``_T``), then an alias."""
        taken = self.locals.setdefault(ident, origin)
        if taken == origin:
            return ident
        alias = f"{ident}_{origin[0].rpartition('.')[2].strip('_')}"
        self.locals.setdefault(alias, origin)
        return alias

    # -- emitting ----------------------------------------------------------------------------------

    def signature(self, node: ast.FunctionDef | ast.AsyncFunctionDef, source: Source) -> str:
        args = node.args
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.sync_text(ast.unparse(default), source, runtime=True)
        copy = ast.arguments(
            posonlyargs=args.posonlyargs,
            args=args.args,
            vararg=args.vararg,
            kwonlyargs=args.kwonlyargs,
            kw_defaults=args.kw_defaults,
            kwarg=args.kwarg,
            defaults=args.defaults,
        )
        text = ast.unparse(copy)
        annotations = [
            a.annotation
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            if a is not None and a.annotation is not None
        ]
        for annotation in annotations:
            original = ast.unparse(annotation)
            synced = self.sync_text(original, source)
            if synced != original:
                text = text.replace(original, synced)
        return text

    def forward(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        args = node.args
        parts = [a.arg for a in [*args.posonlyargs, *args.args][1:]]
        if args.vararg:
            parts.append(f"*{args.vararg.arg}")
        parts += [f"{a.arg}={a.arg}" for a in args.kwonlyargs]
        if args.kwarg:
            parts.append(f"**{args.kwarg.arg}")
        return ", ".join(parts)

    def returns(self, node: ast.FunctionDef | ast.AsyncFunctionDef, source: Source) -> str:
        if node.returns is None:
            return "None"
        return self.sync_text(ast.unparse(node.returns), source)

    def emit_class(self, twin: Twin) -> list[str]:
        source = source_of(twin.module)
        cls = source.find_class(twin.name)
        generic = [
            self.sync_text(ast.unparse(b), source, runtime=True)
            for b in cls.bases
            if ast.unparse(b).startswith("Generic[")
        ]
        bases = ", ".join([*generic, "SyncWrapper"])
        doc = f'    """The sync twin of `{twin.name}` (see its documentation)."""'
        lines = [f"class {twin.sync_name}({bases}):", doc, ""]
        self.type_imports[twin.name] = (twin.module, twin.name)
        params = self.self_type(twin, cls)[len(twin.name) :]
        lines.append(f"    _async: {twin.name}{self.sync_text(params, source)}")
        lines.append("")
        is_client = twin.name == "AsyncGloo"
        if is_client:
            init = next(
                n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"
            )
            self.runtime_imports["AsyncGloo"] = ("gloo_ai._client", "AsyncGloo")
            self.runtime_imports["Portal"] = ("gloo_ai._sync._portal", "Portal")
            lines += [
                f"    def __init__({self.signature(init, source)}) -> None:",
                '        """The same arguments as `AsyncGloo`."""',
                f"        super().__init__(AsyncGloo({self.forward(init)}), Portal())",
                "",
            ]
        members = class_members(source, cls)
        for member in members.values():
            lines += self.emit_member(twin, member, is_client)
        return lines

    def self_type(self, twin: Twin, cls: ast.ClassDef) -> str:
        params = [
            ast.unparse(b)[len("Generic") :] for b in cls.bases if "Generic[" in ast.unparse(b)
        ]
        return twin.name + (params[0] if params else "")

    def emit_member(self, twin: Twin, member: Member, is_client: bool) -> list[str]:
        self.bound = member.bound
        try:
            return self._emit_member(twin, member, is_client)
        finally:
            self.bound = {}

    def _emit_member(self, twin: Twin, member: Member, is_client: bool) -> list[str]:
        source = member.source
        assert source is not None
        name = RENAMED_METHODS.get(member.name, member.name)
        lines: list[str] = []
        if member.kind == "raw":
            node = member.node
            assert node is not None
            self.type_imports["APIResponse"] = ("gloo_ai._response", "APIResponse")
            forward = self.forward(node)
            return [
                f"    def {name}({self.signature(node, source)}) -> APIResponse[Any]:",
                f'        """``{member.name}``, returning the `APIResponse`."""',
                f"        return self._portal.call_raw(self._async.{member.name}{', ' + forward if forward else ''})",
                "",
            ]
        if member.kind == "attr":
            annotation = self.sync_text(member.annotation or "Any", source)
            return [
                "    @property",
                f"    def {name}(self) -> {annotation}:",
                f'        """``{twin.name}.{member.name}``."""',
                f"        return {cast(annotation, f'to_sync(self._async.{member.name}, self._portal)')}",
                "",
            ]
        node = member.node
        if node is None:
            return []
        for overload in member.overloads:
            lines += [
                "    @overload",
                f"    def {name}({self.signature(overload, source)}) -> {self.returns(overload, source)}: ...",
                "",
            ]
        signature = self.signature(node, source)
        returns = self.returns(node, source)
        doc = ast.get_docstring(node)
        summary = doc.splitlines()[0].replace('"""', "'''") if doc else f"``{member.name}``."
        docline = f'        """{summary}"""'
        forward = self.forward(node)
        call_args = f", {forward}" if forward else ""
        target = f"self._async.{member.name}"
        if member.kind in ("property", "cached"):
            decorator = "@property" if member.kind == "property" else "@functools.cached_property"
            return [
                f"    {decorator}",
                f"    def {name}(self) -> {returns}:",
                docline,
                f"        return {cast(returns, f'to_sync({target}, self._portal)')}",
                "",
            ]
        if member.kind == "iter":
            item = returns.removeprefix("Iterator[").removesuffix("]")
            if not returns.startswith("Iterator["):  # __aiter__ returns self: items from __anext__
                item = self.anext_type(twin)
            self.type_imports["Iterator"] = ("collections.abc", "Iterator")
            return [
                f"    def __iter__(self) -> Iterator[{item}]:",
                docline,
                f"        return self._portal.iterate({target}())",
                "",
            ]
        if member.kind == "enter":
            self_type = (
                twin.sync_name if returns == twin.sync_name or "Self" in returns else returns
            )
            return [
                f"    def __enter__(self) -> {self_type}:",
                docline,
                f"        return {cast(self_type, 'self._enter()')}",
                "",
            ]
        if member.kind == "exit" and is_client:
            return [
                f"    def __exit__({signature}) -> None:",
                docline,
                f"        self._exit({forward})",
                "        self._portal.close()",
                "",
            ]
        if member.name == "aclose" and is_client:
            return [
                "    def close(self) -> None:",
                '        """Close the connection pool (only if the client created it) and stop the\n        thread its calls run on; safe to call twice."""',
                "        if not self._portal.closed:",
                "            self._portal.run(self._async.aclose)",
                "            self._portal.close()",
                "",
            ]
        if member.kind == "exit":
            return [
                f"    def __exit__({signature}) -> None:",
                docline,
                f"        self._exit({forward})",
                "",
            ]
        if member.kind == "agen":
            body = f"return self._portal.iterate({target}({forward}))"
        elif member.kind == "async":
            body = f"return {cast(returns, f'self._portal.run({target}{call_args})')}"
        else:
            body = f"return {cast(returns, f'to_sync({target}({forward}), self._portal)')}"
        if returns == "None":
            body = body.removeprefix("return ")
        return [
            *lines,
            f"    def {name}({signature}) -> {returns}:",
            docline,
            f"        {body}",
            "",
        ]

    def anext_type(self, twin: Twin) -> str:
        source = source_of(twin.module)
        cls = source.find_class(twin.name)
        for node in ast.walk(cls):
            if isinstance(node, ast.AsyncFunctionDef) and node.name == "__anext__":
                return self.returns(node, source)
        return "Any"

    def render(self) -> str:
        self.discover()
        body: list[str] = []
        for twin in self.twins.values():
            body += self.emit_class(twin)
            body.append("")
        registry = ["ASYNC_TO_SYNC.update(", "    {"]
        for twin in self.twins.values():
            registry.append(f'        "{twin.module}.{twin.name}": {twin.sync_name},')
        registry += ["    }", ")"]
        twin_names = {t.sync_name for t in self.twins.values()}
        clashes = twin_names & (set(self.type_imports) | set(self.runtime_imports))
        if clashes:
            raise NameClash(sorted(clashes))
        for name in twin_names:
            self.type_imports.pop(name, None)
        head = [
            '"""The sync client: generated by scripts/gen_sync.py from the async classes.',
            "",
            "Do not edit: change the async method and run ``python scripts/gen_sync.py``.",
            '"""',
            "",
            "# ruff: noqa: E501",
            "",
            "from __future__ import annotations",
            "",
            "import functools",
            "from typing import TYPE_CHECKING, Any, Generic, cast, overload",
            "",
        ]
        head += self.import_lines(self.runtime_imports, indent="")
        head += ["from ._wrappers import ASYNC_TO_SYNC, SyncWrapper, to_sync", ""]
        head += ["if TYPE_CHECKING:"]
        type_only = {k: v for k, v in self.type_imports.items() if k not in self.runtime_imports}
        type_only.pop("Any", None)
        type_only.pop("Generic", None)
        type_only.pop("overload", None)
        head += self.import_lines(type_only, indent="    ") or ["    pass"]
        head += ["", f"__all__ = {sorted(twin_names)!r}", "", ""]
        return "\n".join(head + body + registry) + "\n"

    @staticmethod
    def import_lines(names: dict[str, tuple[str, str | None]], indent: str) -> list[str]:
        by_module: dict[str, list[str]] = {}
        plain: set[str] = set()
        for local, (module, attr) in sorted(names.items()):
            if attr is None:
                plain.add(module)
            else:
                by_module.setdefault(module, []).append(
                    attr if attr == local else f"{attr} as {local}"
                )
        lines = [f"{indent}import {m}" for m in sorted(plain)]
        lines += [
            f"{indent}from {module} import {', '.join(sorted(set(attrs)))}"
            for module, attrs in sorted(by_module.items())
        ]
        return lines


def generate() -> str:
    """The text of the generated module, formatted and its imports sorted by ruff (needed:
    the drift test compares the file with a fresh run, so both must be formatted alike)."""
    try:
        text = Generator().render()
    except NameClash as clash:  # a twin named like a model it returns: Sync<Name> instead
        for name in clash.names:
            async_name = f"Async{name}"
            TWIN_NAMES[async_name] = f"Sync{name}"
        text = Generator().render()
    import subprocess

    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(OUTPUT), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        )
        text = done.stdout
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--fix",
                "--select",
                "I,F401",
                "--stdin-filename",
                str(OUTPUT),
                "-",
            ],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        text = done.stdout or text
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(
            f"gen_sync needs ruff (pip install ruff) to format its output: {exc}"
        ) from None
    return text


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    OUTPUT.write_text(generate(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
