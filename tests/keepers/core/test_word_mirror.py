"""FND-15: the packed words have one form, and the Python mirror (tests/contracts/words.py) covers
every user-defined value type of the sources and agrees with each type's layout table and offsets.

Every value type lives in `contracts/types/`, whose files' header comments hold one bit table per
type (issue 32 §4), in this grammar:

    // CoreWord: SecurityToken._core, read on every transfer    <- a title: a type of this file
    // | bits     | field      | kind    |
    // | -------- | ---------- | ------- |
    // | 0..159   | compliance | address |
    // | 160..167 | paused     | bool    |
    // | 168..255 | (unused)   |         |
    //                                                           <- a bare `//` ends the table

A title that names no type of its file is prose, not a table. Bits are `lo..hi` inclusive, or one
bit (`255`); a repeated field, `| 160+6i..165+6i | decimals[i], i < 16 | uint6 |`, has bounds
`A`, `Bi` or `A+Bi` and stands for the mirror's fields decimals0 .. decimals15. A kind is
`uintN`/`intN` (N the width), `bool` (a flag, any width), `address`, `bytesN`, or an enum (as
keepers/core/solidity_enums.py names it: a bounded field of the mirror). With its `(unused)` rows a
table accounts for every bit of its type once. No chain, no build: the sources are read as text."""

from __future__ import annotations

import ast
import operator
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from keepers.core.solidity_enums import ROOT, SOURCE_FOLDERS, solidity_enums
from keepers.lifecycle import COUPON_INDEX_BITS
from words import BY_TYPE, WORDS

CONTRACTS = ROOT / "contracts"
TYPES = CONTRACTS / "types"
HARNESSES = CONTRACTS / "test"
UINT256_MAX = (1 << 256) - 1

COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
UDVT = re.compile(r"^\s*type\s+(\w+)\s+is\s+(\w+)\s*;", re.MULTILINE)
TITLE = re.compile(r"^//\s*([A-Z]\w*):")
ROW = re.compile(r"^//\s*\|(.*)\|$")
TABLE_END = re.compile(r"^//$")
REPEATED = re.compile(r"([a-z]\w*)\[([a-z])\],\s*([a-z])\s*<\s*(\d+)")
SCALAR = re.compile(r"[a-z]\w*")
# An integer constant, at file level or in a contract or library (its expression up to the `;`).
CONST = re.compile(
    r"^[ \t]*u?int\d*\s+(?:(?:internal|private|public)\s+)?constant\s+(\w+)\s*=\s*([^;]+);",
    re.MULTILINE,
)
SCOPE = re.compile(r"\b(?:abstract\s+)?(?:contract|interface|library)\s+(\w+)[^{;]*\{")
FUNCTION = re.compile(r"\bfunction\s+\w+[^{;]*\{")
# A numeric literal (not a digit inside a name such as `uint16`).
LITERAL = re.compile(r"(?<![\w.])(?:0x[0-9a-fA-F]+|\d[\d_]*)(?![\w.])")
IMPORT = re.compile(r'\bimport\s+(?:[^;"]*?\bfrom\s+)?"([^"]+)"')
UNITS = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400, "weeks": 604_800}
OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}


# ---------------------------------------------------------------- reading the sources


def sources() -> list[Path]:
    """The project's Solidity (contracts/ and interfaces/, without the dependency cache)."""
    return sorted(
        p
        for folder in SOURCE_FOLDERS
        for p in (ROOT / folder).rglob("*.sol")
        if ".cache" not in p.relative_to(ROOT).parts
    )


def type_files() -> list[Path]:
    return sorted(TYPES.glob("*.sol"))


@cache
def code(path: Path) -> str:
    """The source without its comments."""
    return COMMENT.sub("", path.read_text())


def width(kind: str) -> int | None:
    """The bits of an elementary type (`uintN`, `intN`, `bytesN`, `address`); None for another."""
    if kind == "address":
        return 160
    if m := re.fullmatch(r"u?int(\d*)", kind):
        return int(m[1] or 256)
    if m := re.fullmatch(r"bytes(\d+)", kind):
        return 8 * int(m[1])
    return None


def declared() -> dict[str, tuple[Path, int | None]]:
    """Every user-defined value type of the sources: its file and its width."""
    found: dict[str, tuple[Path, int | None]] = {}
    for path in sources():
        for m in UDVT.finditer(code(path)):
            if m[1] in found:
                raise ValueError(f"type {m[1]} declared in {found[m[1]][0]} and {path}")
            found[m[1]] = (path, width(m[2]))
    return found


def evaluate(expression: str, name: Callable[[str], int]) -> int:
    """An integer constant expression of Solidity: literals (`1e18`, `365 days`, hex), names (`X`,
    `Library.X`, read through `name`), `type(uintN).max`, casts of values that fit (`uint256(x)`),
    and the arithmetic and bit operators (`~` of a uint256)."""
    text = re.sub(r"\b(\d+)e(\d+)\b", r"(\1 * 10 ** \2)", expression.strip())
    text = re.sub(
        r"\b(\d+)\s+(seconds|minutes|hours|days|weeks)\b",
        lambda m: f"({m[1]} * {UNITS[m[2]]})",
        text,
    )

    def value(node: ast.expr) -> int:
        match node:
            case ast.Constant(value=int() as literal) if not isinstance(literal, bool):
                return literal
            case ast.Name(id=identifier):
                return name(identifier)
            case ast.Attribute(
                value=ast.Call(func=ast.Name(id="type"), args=[ast.Name(id=kind)]), attr="max"
            ) if width(kind) is not None and kind != "address":
                bits = width(kind) - (1 if kind.startswith("int") else 0)
                return (1 << bits) - 1
            case ast.Attribute(value=ast.Name(id=owner), attr=member):
                return name(f"{owner}.{member}")
            case ast.Call(func=ast.Name(id=kind), args=[argument]) if width(kind) is not None:
                return value(argument)
            case ast.BinOp(left=left, op=op, right=right) if type(op) in OPERATORS:
                return OPERATORS[type(op)](value(left), value(right))
            case ast.UnaryOp(op=ast.Invert(), operand=operand):
                return value(operand) ^ UINT256_MAX
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -value(operand)
        raise ValueError(f"cannot evaluate {ast.unparse(node)!r} in {expression!r}")

    return value(ast.parse(text, mode="eval").body)


@dataclass(frozen=True)
class Scopes:
    """A file's integer constants (unevaluated): at file level, and by contract or library."""

    file_level: dict[str, str]
    owned: dict[str, dict[str, str]]


def closing_brace(text: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise ValueError("unbalanced braces")


@cache
def scopes(path: Path) -> Scopes:
    text = code(path)
    spans: list[tuple[str, int, int]] = []
    for m in SCOPE.finditer(text):
        if not any(start < m.start() < end for _, start, end in spans):
            spans.append((m[1], m.start(), closing_brace(text, m.end() - 1)))
    file_level: dict[str, str] = {}
    owned: dict[str, dict[str, str]] = {}
    for m in CONST.finditer(text):
        owner = next((n for n, start, end in spans if start < m.start() < end), None)
        (file_level if owner is None else owned.setdefault(owner, {}))[m[1]] = m[2]
    return Scopes(file_level, owned)


@cache
def owners() -> dict[str, Path]:
    """The file of every contract and library that declares a constant."""
    return {owner: path for path in sources() for owner in scopes(path).owned}


@cache
def constant(path: Path, owner: str | None, name: str) -> int:
    """`name` as the code of `owner` (a library or contract of `path`; None: file level) reads it:
    `Library.X`, its own constant, its file's, or a file-level constant another file declares (an
    import)."""
    if "." in name:
        library, _, member = name.partition(".")
        return constant(owners()[library], library, member)
    here = scopes(path)
    if owner is not None and name in here.owned.get(owner, {}):
        expression = here.owned[owner][name]
    elif name in here.file_level:
        path, owner, expression = path, None, here.file_level[name]
    else:
        found = [p for p in sources() if name in scopes(p).file_level]
        if len(found) != 1:
            raise KeyError(f"{path.name}: constant {name} is declared in {len(found)} files")
        path, owner, expression = found[0], None, scopes(found[0]).file_level[name]
    return evaluate(expression, lambda n: constant(path, owner, n)) & UINT256_MAX


# ---------------------------------------------------------------- the layout tables


@dataclass(frozen=True)
class Row:
    """One field of a layout table (`name` None: unused bits); a repeated field is expanded."""

    name: str | None
    offset: int
    bits: int
    kind: str
    repeated: bool = False


def bound(text: str, variable: str | None = None, index: int = 0) -> int:
    """A bit bound: `A`, `Bi` or `A+Bi` with `variable` at `index`."""

    def name(identifier: str) -> int:
        if identifier != variable:
            raise ValueError(f"bound {text!r}: unknown {identifier}")
        return index

    return evaluate(re.sub(r"(\d+)\s*([a-z])\b", r"\1*\2", text), name)


def rows_of(where: str, cells: list[str]) -> list[Row]:
    """The rows of one table line (none for the header and the separator)."""
    if len(cells) != 3:
        raise ValueError(f"{where}: a row has three cells (bits | field | kind): {cells}")
    bits, field, kind = cells
    if bits == "bits" or set(bits) <= set("-: "):
        return []
    low, _, high = bits.partition("..")
    high = high or low
    if field == "(unused)" or SCALAR.fullmatch(field):
        name = None if field == "(unused)" else field
        return [Row(name, bound(low), bound(high) - bound(low) + 1, kind)]
    m = REPEATED.fullmatch(field)
    if m is None or m[2] != m[3]:
        raise ValueError(f"{where}: cannot read the field {field!r}")
    name, variable, count = m[1], m[2], int(m[4])
    return [
        Row(
            f"{name}{i}",
            bound(low, variable, i),
            bound(high, variable, i) - bound(low, variable, i) + 1,
            kind,
            repeated=True,
        )
        for i in range(count)
    ]


def tables(path: Path) -> dict[str, list[Row]]:
    """The layout table of every type `path` declares and documents, by type (unused rows too)."""
    own = {m[1] for m in UDVT.finditer(code(path))}
    found: dict[str, list[Row]] = {}
    title: str | None = None
    lines: list[tuple[int, list[str]]] = []

    def close() -> None:
        if title is None or not lines:
            return
        if title in found:
            raise ValueError(f"{path.name}: two tables for {title}")
        found[title] = [
            row for number, cells in lines for row in rows_of(f"{path.name}:{number}", cells)
        ]

    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if title is not None:
            if m := ROW.match(line):
                lines.append((number, [c.strip() for c in m[1].split("|")]))
                continue
            if line.startswith("//") and not TABLE_END.match(line) and not lines:
                continue  # the title's description, wrapped
            close()
            title, lines = None, []
        if (m := TITLE.match(line)) and m[1] in own:
            title = m[1]
    close()
    return found


def layout_tables() -> Iterator[tuple[Path, str, list[Row]]]:
    for path in type_files():
        for type_name, rows in tables(path).items():
            yield path, type_name, rows


def snake(name: str) -> str:
    """A getter's name as its constants spell it: `maxVar95Bps` -> `MAX_VAR95_BPS`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def named(path: Path, type_name: str, constant_name: str) -> dict[str, int]:
    """The constants `constant_name` of a type: in `<Type>Library`, or else at file level, there
    with a prefix allowed (`ASSET_CLASS_OFFSET`: the group inline assembly reads)."""
    library = f"{type_name}Library"
    here = scopes(path)
    if constant_name in here.owned.get(library, {}):
        return {f"{library}.{constant_name}": constant(path, library, constant_name)}
    return {
        n: constant(path, None, n)
        for n in here.file_level
        if n == constant_name or n.endswith(f"_{constant_name}")
    }


def function_bodies(text: str) -> Iterator[str]:
    for m in FUNCTION.finditer(text):
        yield text[m.end() : closing_brace(text, m.end() - 1)]


# ---------------------------------------------------------------- the parser itself


def test_tables__the_grammar__titles_rows_repeated_fields_and_prose_read(tmp_path):
    source = tmp_path / "Words.sol"
    source.write_text(
        "// Note: prose, not a table\n"
        "// ProgressWord: a record's third word,\n"
        "// described on two lines\n"
        "// | bits | field | kind |\n"
        "// | ---- | ----- | ---- |\n"
        "// | 0..23 | nonce | uint24 |\n"
        "// | 24 | paused | bool |\n"
        "// | 25+6i..30+6i | decimals[i], i < 2 | uint6 |\n"
        "// | 37..255 | (unused) | |\n"
        "//\n"
        "// Other: not a type of this file\n"
        "// | 0..255 | x | uint256 |\n"
        "type ProgressWord is uint256;\n"
        "type Other2 is uint32;\n"
    )
    assert tables(source) == {
        "ProgressWord": [
            Row("nonce", 0, 24, "uint24"),
            Row("paused", 24, 1, "bool"),
            Row("decimals0", 25, 6, "uint6", repeated=True),
            Row("decimals1", 31, 6, "uint6", repeated=True),
            Row(None, 37, 219, ""),
        ]
    }


def test_constants__expressions_names_and_imports__evaluate(tmp_path, monkeypatch):
    folder = tmp_path / "contracts"
    folder.mkdir()
    (tmp_path / "interfaces").mkdir()
    (folder / "A.sol").write_text(
        "uint256 constant ASSET_CLASS_OFFSET = 16; // a comment\n"
        "library ALibrary {\n"
        "    uint256 internal constant BITS = 6;\n"
        "    uint256 internal constant MASK = (1 << BITS) - 1;\n"
        "    uint256 internal constant WIDE =\n"
        "        type(uint96).max << ASSET_CLASS_OFFSET;\n"
        "    uint256 internal constant YEAR = 365 days;\n"
        "    uint256 internal constant NOT = ~uint256(B.ONE);\n"
        "}\n"
    )
    (folder / "B.sol").write_text("library B {\n    uint8 internal constant ONE = 1e0;\n}\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    owners.cache_clear()
    constant.cache_clear()
    try:
        a = folder / "A.sol"
        assert constant(a, "ALibrary", "MASK") == 63
        assert constant(a, "ALibrary", "WIDE") == ((1 << 96) - 1) << 16
        assert constant(a, "ALibrary", "YEAR") == 365 * 86_400
        assert constant(a, "ALibrary", "NOT") == UINT256_MAX - 1
        assert named(a, "Asset", "CLASS_OFFSET") == {"ASSET_CLASS_OFFSET": 16}
        assert named(a, "A", "MASK") == {"ALibrary.MASK": 63}
    finally:
        owners.cache_clear()
        constant.cache_clear()


# ---------------------------------------------------------------- FND-15


def test_fnd_15__every_value_type__lives_in_contracts_types_and_is_mirrored():
    types = declared()
    assert types.keys() == {w.type_name for w in WORDS}
    elsewhere = sorted(
        f"{t} ({p.relative_to(ROOT)})" for t, (p, _) in types.items() if p.parent != TYPES
    )
    assert not elsewhere, f"{len(elsewhere)} value types outside contracts/types: {elsewhere}"
    assert {t: bits for t, (_, bits) in types.items()} == {w.type_name: w.bits for w in WORDS}


def test_fnd_15__layout_tables__are_the_mirror():
    members = {k.split(".")[-1]: v for k, v in solidity_enums().items()}  # NativeKind, ...
    problems = []
    for path, type_name, rows in layout_tables():
        word, where = BY_TYPE[type_name], f"{path.name}: {type_name}"
        table = sorted((r.offset, r.name, r.bits) for r in rows if r.name is not None)
        mirror = sorted((f.offset, f.name, f.bits) for f in word.fields)
        if table != mirror:
            problems.append(f"{where}: the table has {table}, the mirror {mirror}")
            continue
        for row in rows:
            if row.name is None:
                continue
            field, enum = word.field(row.name), members.get(row.kind.split(".")[-1])
            if row.kind == "bool":
                agrees = field.flag and field.top is None
            elif enum is not None:
                agrees = not field.flag and field.top == len(enum) - 1 < 1 << row.bits
            else:
                agrees = not field.flag and field.top is None and width(row.kind) == row.bits
            if not agrees:
                problems.append(
                    f"{where}.{row.name}: kind {row.kind!r} ({row.bits} bits), the mirror's "
                    f"flag={field.flag} top={field.top}"
                )
    missing = sorted({w.type_name for w in WORDS} - {t for _, t, _ in layout_tables()})
    if missing:
        problems.append(f"{len(missing)} types without a table in contracts/types: {missing}")
    assert not problems, "\n".join(problems)


def test_fnd_15__layout_tables__account_for_every_bit_once():
    types = declared()
    problems = []
    for path, type_name, rows in layout_tables():
        next_bit = 0
        for row in sorted(rows, key=lambda r: r.offset):
            if row.offset != next_bit or row.bits < 1:
                problems.append(f"{path.name}: {type_name} bit {next_bit}: the next row is {row}")
                break
            next_bit += row.bits
        else:
            if next_bit != types[type_name][1]:
                problems.append(f"{path.name}: {type_name} has {next_bit} bits in its table")
    assert not problems, "\n".join(problems)


def test_fnd_15__scalar_fields__have_named_offsets_and_masks():
    """Every field at a non-zero offset has `<FIELD>_OFFSET` (the getter's name in upper snake
    case) in its type's library or at file level; every `<FIELD>_OFFSET` and `<FIELD>_MASK` there
    is the table's."""
    problems = []
    for path, type_name, rows in layout_tables():
        for row in rows:
            if row.name is None or row.repeated:
                continue
            where, field = f"{path.name}: {type_name}.{row.name}", snake(row.name)
            offsets = named(path, type_name, f"{field}_OFFSET")
            if row.offset and not offsets:
                problems.append(f"{where} at bit {row.offset}: no {field}_OFFSET")
            masks = named(path, type_name, f"{field}_MASK")
            problems += [
                f"{where}: {n} = {v}, the table says {row.offset}"
                for n, v in offsets.items()
                if v != row.offset
            ]
            problems += [
                f"{where}: {n} = {v:#x}, the table says {row.bits} bits"
                for n, v in masks.items()
                if v != (1 << row.bits) - 1
            ]
    assert not problems, "\n".join(problems)


def test_fnd_15__one_dialect__no_private_set_no_with_no_literal_shift():
    """One library per type (`<Type>Library`, bound to it globally), setters `setX` through
    `Bits.set`, and every shift amount and mask a named constant: a function body holds no numeric
    literal but 0 and 1."""
    problems = []
    for path in type_files():
        text = code(path)
        bodies = "\n".join(function_bodies(CONST.sub("", text)))
        if re.search(r"\bfunction\s+(_set|setBits)\b", text):
            problems.append(f"{path.name}: a private _set or setBits (use Bits.set)")
        if names := re.findall(r"\bfunction\s+(with[A-Z]\w*)", text):
            problems.append(f"{path.name}: {names} (setters are setX)")
        if shifts := re.findall(r"(?:<<|>>)\s*\(?\s*\d\w*", bodies):
            problems.append(f"{path.name}: literal shift amounts {shifts}")
        if maxima := re.findall(r"type\(u?int\d+\)\.max", bodies):
            problems.append(f"{path.name}: {maxima} in a function body (name a mask)")
        if literals := sorted(set(LITERAL.findall(bodies)) - {"0", "1"}):
            problems.append(f"{path.name}: literals {literals} in a function body (name them)")
        for m in UDVT.finditer(text):
            library = f"{m[1]}Library"
            if not re.search(rf"\blibrary\s+{library}\b", text) or not re.search(
                rf"\busing\s+{library}\s+for\s+{m[1]}\s+global\s*;", text
            ):
                problems.append(f"{path.name}: {m[1]} without `using {library} for {m[1]} global`")
    assert not problems, "\n".join(problems)


def test_fnd_15__interfaces__import_from_contracts_only_the_types_folder():
    problems = []
    for path in sorted((ROOT / "interfaces").rglob("*.sol")):
        for target in IMPORT.findall(code(path)):
            resolved = (path.parent / target).resolve()
            if (
                target.startswith(".")
                and resolved.is_relative_to(CONTRACTS)
                and not resolved.is_relative_to(TYPES)
            ):
                problems.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not problems, "\n".join(problems)


def test_fnd_15__harnessed_words__have_their_get_set_and_set_many():
    """The mirror's `harness` is the test contract that exposes the word by field index (a renamed
    harness function fails here before the chain tests run)."""
    exposed = {}
    for path in sorted(HARNESSES.glob("*.sol")):
        functions = set(re.findall(r"\bfunction\s+(\w+)\s*\(", code(path)))
        for name in functions:
            prefix = name.removesuffix("Get")
            if name.endswith("Get") and {f"{prefix}Set", f"{prefix}SetMany"} <= functions:
                exposed[prefix] = path.stem
    assert exposed == {w.prefix: w.harness for w in WORDS if w.harness is not None}


def test_fnd_15__keeper_coupon_index_width__is_the_servicing_words():
    assert COUPON_INDEX_BITS == BY_TYPE["ServicingWord"].field("couponIndex").bits
