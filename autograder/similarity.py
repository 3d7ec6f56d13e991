"""Similarity report: how alike the solution cells of every pair of submissions of an assignment are.

The algorithm is winnowing (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document
fingerprinting", SIGMOD 2003), the one behind MOSS, on normalised tokens:

1. **What is compared.** For each notebook of ``source/ASSIGNMENT``, the cells that are nbgrader
   solution cells there (``metadata.nbgrader.solution``), matched in a submission by ``grade_id``;
   a cell without a ``grade_id`` is skipped. Code cells, and written (markdown) answers as words.
2. **Normalisation.** Code goes through Python's ``tokenize``: comments, docstrings and layout are
   dropped; every name becomes ``V`` except keywords, builtins (``float``, ``range``) and attribute
   names (``np.where`` keeps ``where``); every string becomes ``S``; numbers are written one way
   (``1`` and ``1.0`` alike). Renaming variables, rewording comments or re-indenting changes nothing.
   Markdown becomes its lower-case words.
3. **Fingerprints.** A hash of every run of ``K`` consecutive tokens (a k-gram); winnowing keeps the
   smallest hash of every ``WINDOW`` consecutive ones. Any run shared by two cells that is at least
   ``K + WINDOW - 1`` tokens long is found; runs under ``K`` tokens are noise and never count.
4. **Boilerplate.** What nbgrader gave everyone does not count: the release notebook (the stubs of
   solution cells, the other cells; without ``release/``, the source with its solution regions and
   hidden tests cut out). Its k-grams are removed from the fingerprints, and the lines of a solution
   cell's stub (the ``def`` line of the function to write) from the cell's tokens before hashing, so
   that no k-gram runs from a given header into the first line of a body. So is a fingerprint found
   in more than ``common`` of the submissions (and in more than ``COMMON_FLOOR`` of them): what most
   of a class writes is no evidence of copying.
5. **Scores.** Fingerprints only match within the same cell (``grade_id``). For a pair with fingerprint
   sets A and B: containment ``|A & B| / |A|`` for each side, and the score, Dice's coefficient
   ``2 |A & B| / (|A| + |B|)``, from 0 (nothing shared) to 1 (the same code). A submission with no
   fingerprints of its own (the untouched release) scores 0 against everyone.

A high score is a reason to read both submissions, not proof: short exercises with one natural
solution make independent submissions alike. Submissions are untrusted data: they are only parsed as
JSON and tokenized as text, never executed or imported, and what is read is bounded
(``MAX_NOTEBOOK_BYTES``, ``MAX_CELL_CHARS``, ``MAX_CELL_TOKENS``).

The library ``copydetect`` implements the same algorithm; it is not used because its normaliser
turns every name, library attributes included, into one letter (so ``np.exp`` and ``np.where``
match, which on this course's short NumPy exercises makes independent solutions look alike), its
k-grams are characters of one text per file, its report loads Bootstrap from a CDN, and importing it
imports ``matplotlib.pyplot``.
"""

from __future__ import annotations

import builtins
import csv
import html
import io
import keyword
import re
import time
import tokenize
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

K = 12  # tokens per k-gram: shared runs shorter than this never count
WINDOW = 4  # winnowing window: every shared run of K + WINDOW - 1 = 15 tokens or more is found
COMMON_FRACTION = 0.5  # a fingerprint in more than this fraction of the submissions is ignored...
COMMON_FLOOR = 10  # ...when it is also in more than this many (so a small class loses nothing)
MAX_NOTEBOOK_BYTES = 16 * 2**20  # a larger submitted notebook is skipped unread
MAX_CELL_CHARS = 64 * 2**10  # characters of one cell read (the course's largest answer: about 2,000)
MAX_CELL_TOKENS = 5_000  # normalised tokens of one cell kept (the course's largest answer: 365)
SOLUTION_BEGIN, SOLUTION_END = "BEGIN SOLUTION", "END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"

_BUILTINS = frozenset(dir(builtins))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
_STATEMENT_START = {None, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
_STATEMENT_END = {None, tokenize.NEWLINE, tokenize.ENDMARKER}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+: f-strings are split into tokens
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_FALLBACK = re.compile(r"[^\W\d]\w*|\d[\w.]*|\S")
_WORDS = re.compile(r"\w+")

Token = tuple[str, int]  # a normalised token and the (1-based) line of the cell it starts on


# normalisation --------------------------------------------------------------------------------------------
def _number(text: str) -> str:
    try:
        return repr(float(int(text.replace("_", ""), 0)))
    except ValueError:
        pass
    try:
        return repr(float(text.replace("_", "")))
    except ValueError:
        return text.lower()


def _name(text: str, after_dot: bool) -> str:
    return text if after_dot or keyword.iskeyword(text) or text in _BUILTINS else "V"


def _fallback_tokens(lines: list[str], first_line: int, previous: str | None) -> list[Token]:
    """Tokens of lines ``tokenize`` rejected (IPython magics, a syntax error): words and symbols."""
    out: list[Token] = []
    for number, line in enumerate(lines, start=first_line):
        line = line.split("#", 1)[0]
        for match in _FALLBACK.finditer(line):
            text = match.group()
            if text[0].isdigit():
                text = _number(text)
            elif text[0].isalpha() or text[0] == "_":
                text = _name(text, previous == ".")
            out.append((text, number))
            previous = text
    return out


def code_tokens(source: str, limit: int = MAX_CELL_TOKENS) -> list[Token]:
    """Normalised tokens of Python code (see the module docstring), at most ``limit``."""
    source = source[:MAX_CELL_CHARS]
    raw: list[tokenize.TokenInfo] = []
    failed_at = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            raw.append(tok)
            if len(raw) > 4 * limit:
                break
    except (tokenize.TokenError, SyntaxError):
        failed_at = raw[-1].start[0] if raw else 1
        raw = [t for t in raw if t.start[0] < failed_at]
    # the type of the nearest token before and after each one, comments and blank lines aside
    significant = [t.type not in (tokenize.COMMENT, tokenize.NL) for t in raw]
    after: list[int | None] = [None] * len(raw)
    following: int | None = None
    for i in range(len(raw) - 1, -1, -1):
        after[i] = following
        if significant[i]:
            following = raw[i].type
    out: list[Token] = []
    fstring_depth = 0
    before: int | None = None
    for i, tok in enumerate(raw):
        kind, text, line = tok.type, tok.string, tok.start[0]
        previous, before = before, (kind if significant[i] else before)
        if fstring_depth:
            fstring_depth += (kind == _FSTRING_START) - (kind == _FSTRING_END)
            continue
        if kind in _SKIP or (kind == tokenize.ERRORTOKEN and not text.strip()):
            continue
        if kind == _FSTRING_START:
            fstring_depth = 1
            out.append(("S", line))
        elif kind == tokenize.NEWLINE or (kind == tokenize.OP and text == ";"):
            if out and out[-1][0] != ";":
                out.append((";", line))
        elif kind == tokenize.STRING:
            if previous in _STATEMENT_START and after[i] in _STATEMENT_END:
                continue  # a docstring, or any other string standing alone as a statement
            if not (out and out[-1][0] == "S" and previous == tokenize.STRING):
                out.append(("S", line))  # "a" "b" (implicit concatenation) is one string
        elif kind == tokenize.NAME:
            out.append((_name(text, bool(out) and out[-1][0] == "."), line))
        elif kind == tokenize.NUMBER:
            out.append((_number(text), line))
        else:
            out.append((text, line))
    if failed_at is not None:
        lines = source.splitlines()[failed_at - 1:]
        out.extend(_fallback_tokens(lines, failed_at, out[-1][0] if out else None))
    return out[:limit]


def text_tokens(source: str, limit: int = MAX_CELL_TOKENS) -> list[Token]:
    """Lower-case words of a written (markdown) answer, at most ``limit``."""
    out: list[Token] = []
    for number, line in enumerate(source[:MAX_CELL_CHARS].splitlines(), start=1):
        out.extend((word.lower(), number) for word in _WORDS.findall(line))
        if len(out) >= limit:
            break
    return out[:limit]


def tokens_of(kind: str, source: str) -> list[Token]:
    return code_tokens(source) if kind == "code" else text_tokens(source)


# fingerprints ---------------------------------------------------------------------------------------------
def kgram_hashes(tokens: list[Token], k: int = K) -> list[int]:
    """One hash per k-gram (deterministic: CRC-32 of each token, then CPython's tuple-of-int hash)."""
    ids = [zlib.crc32(text.encode("utf-8", "surrogatepass")) for text, _ in tokens]
    return [hash(tuple(ids[i:i + k])) for i in range(len(ids) - k + 1)]


def winnow(hashes: list[int], window: int = WINDOW) -> dict[int, list[int]]:
    """Robust winnowing: the rightmost smallest hash of each window; ``{hash: [k-gram positions]}``."""
    selected: dict[int, list[int]] = {}
    last = -1
    for start in range(max(1, len(hashes) - window + 1) if hashes else 0):
        chunk = hashes[start:start + window]
        smallest = min(chunk)
        pos = start + len(chunk) - 1 - chunk[::-1].index(smallest)
        if pos != last:
            selected.setdefault(smallest, []).append(pos)
            last = pos
    return selected


# notebooks ------------------------------------------------------------------------------------------------
CellKey = tuple[str, str]  # (notebook name without .ipynb, grade_id)


@dataclass
class Cell:
    kind: str  # "code" or "markdown"
    source: str
    tokens: list[Token]  # normalised, less the lines of the release's stub
    marks: dict[int, list[int]] = field(default_factory=dict)  # winnowed k-gram hash -> its positions in tokens


@dataclass
class Submission:
    """One student's solution cells and, once ``fingerprint``-ed, its fingerprints.

    A fingerprint is a k-gram hash together with its cell (the same code in another cell is no match).
    The tokens and the lines of all the cells are numbered in a row (a cell's lines: only those with
    tokens, ``layout``), so that the tokens and lines of a pair's shared k-grams are bit sets, made
    with a few shifts and ORs from ``spans``: for each fingerprint and each of its k-grams, the number
    of its first token, the number of its first line, and the (at most ``K``-bit) set of its lines
    from that one. Each is a small integer, whatever the size of the submission."""

    student: str
    cells: dict[CellKey, Cell]
    fingerprints: set[int] = field(default_factory=set)
    spans: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    layout: dict[CellKey, tuple[int, tuple[int, ...]]] = field(default_factory=dict)  # (first bit, line numbers)
    tokens: int = 0  # normalised tokens of all the cells, less the release's stub lines


def _source(cell: Any) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source[:MAX_CELL_CHARS] if isinstance(source, str) else ""


def _nbgrader(cell: Any) -> dict[str, Any]:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    info = meta.get("nbgrader") if isinstance(meta, dict) else None
    return info if isinstance(info, dict) else {}


def read_notebook(path: Path) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The cells of a notebook, or ``(None, why)``: missing, a link, too large, or not a notebook."""
    if path.is_symlink():
        return None, "a symbolic link, not read"
    if not path.is_file():
        return None, "missing"
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"{size / 2**20:.1f} MiB, over the {MAX_NOTEBOOK_BYTES / 2**20:g} MiB limit"
    try:
        with path.open("rb") as f:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            return None, f"over the {MAX_NOTEBOOK_BYTES / 2**20:g} MiB limit"
        nb = nbformat.reader.reads(data)
        if nb.get("nbformat", 4) != 4:
            nb = nbformat.convert(nb, 4)
        cells = nb.get("cells")
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
    except Exception as exc:  # untrusted bytes: whatever goes wrong, skip the notebook
        return None, f"not a valid notebook ({type(exc).__name__})"
    return [c for c in cells if isinstance(c, dict)], None


def _cut(source: str, begin: str, end: str) -> str:
    """The source without the regions between lines holding ``begin`` and ``end`` (both included)."""
    kept, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def solution_cells(source_dir: Path, code_only: bool = False) -> dict[CellKey, str]:
    """``{(notebook, grade_id): cell type}`` of the source's solution cells, in notebook order."""
    cells: dict[CellKey, str] = {}
    for path in sorted(source_dir.glob("*.ipynb")):
        nb_cells, why = read_notebook(path)
        if nb_cells is None:
            raise ValueError(f"source notebook {path}: {why}")
        for cell in nb_cells:
            meta, kind = _nbgrader(cell), cell.get("cell_type")
            grade_id = meta.get("grade_id")
            if meta.get("solution") and isinstance(grade_id, str) and kind in ("code", "markdown"):
                if kind == "code" or not code_only:
                    cells.setdefault((path.stem, grade_id), kind)
    return cells


@dataclass
class Template:
    """What the release gave everyone: every k-gram hash, and the lines of each solution cell's stub."""

    hashes: set[int] = field(default_factory=set)
    lines: dict[CellKey, set[tuple[str, ...]]] = field(default_factory=dict)  # normalised tokens of each line


def _by_line(tokens: list[Token]) -> dict[int, tuple[str, ...]]:
    grouped: dict[int, list[str]] = {}
    for text, line in tokens:
        grouped.setdefault(line, []).append(text)
    return {line: tuple(texts) for line, texts in grouped.items()}


def boilerplate(source_dir: Path, release_dir: Path | None, k: int = K) -> Template:
    """The release's template (without ``release/``: the source with solutions and hidden tests cut out)."""
    template = Template()
    for path in sorted(source_dir.glob("*.ipynb")):
        released = release_dir / path.name if release_dir is not None else None
        nb_cells = read_notebook(released)[0] if released is not None else None
        from_release = nb_cells is not None
        if nb_cells is None:
            nb_cells = read_notebook(path)[0] or []
        for cell in nb_cells:
            kind, text, meta = cell.get("cell_type"), _source(cell), _nbgrader(cell)
            if kind not in ("code", "markdown"):
                continue
            if not from_release:
                if meta.get("solution") and SOLUTION_BEGIN not in text:
                    text = ""  # nbgrader replaces such a cell whole with its stub
                text = _cut(_cut(text, SOLUTION_BEGIN, SOLUTION_END), HIDDEN_BEGIN, HIDDEN_END)
            tokens = tokens_of(kind, text)
            template.hashes.update(kgram_hashes(tokens, k))
            if meta.get("solution") and isinstance(meta.get("grade_id"), str):
                template.lines.setdefault((path.stem, meta["grade_id"]), set()).update(_by_line(tokens).values())
    return template


def own_tokens(tokens: list[Token], stub_lines: set[tuple[str, ...]]) -> list[Token]:
    """The tokens of a cell without its lines that, normalised, are lines of the cell's stub (the
    ``def`` lines of the functions to write): a k-gram that starts in a header and ends in the first
    line of a body would otherwise match every submission whose body starts alike."""
    template = {line for line, texts in _by_line(tokens).items() if texts in stub_lines}
    return [tok for tok in tokens if tok[1] not in template] if template else tokens


def load_submission(student: str, folder: Path, wanted: dict[CellKey, str], skipped: list[str]) -> Submission | None:
    """The solution cells of one student's submission; what cannot be read goes to ``skipped``."""
    cells: dict[CellKey, Cell] = {}
    for notebook in dict.fromkeys(nb for nb, _ in wanted):
        nb_cells, why = read_notebook(folder / f"{notebook}.ipynb")
        if nb_cells is None:
            skipped.append(f"{student}/{notebook}.ipynb: {why}")
            continue
        for cell in nb_cells:
            grade_id = _nbgrader(cell).get("grade_id")
            key = (notebook, grade_id if isinstance(grade_id, str) else "")
            kind = wanted.get(key)
            if kind is not None and key not in cells and cell.get("cell_type") == kind:
                text = _source(cell)
                cells[key] = Cell(kind, text, tokens_of(kind, text))
    return Submission(student, cells) if cells else None


# comparison -----------------------------------------------------------------------------------------------
def fingerprint(sub: Submission, template: Template, order: dict[CellKey, int], k: int = K,
                window: int = WINDOW) -> None:
    """Winnow each cell of ``sub`` (less the release's template) into ``sub.fingerprints`` and ``sub.spans``."""
    token_offset = line_offset = 0
    for key, cell in sub.cells.items():
        cell.tokens = own_tokens(cell.tokens, template.lines.get(key, set()))
        cell.marks = {h: pos for h, pos in winnow(kgram_hashes(cell.tokens, k), window).items()
                      if h not in template.hashes}
        numbers = sorted({line for _, line in cell.tokens})
        index = {line: i for i, line in enumerate(numbers)}
        ids = [index[line] for _, line in cell.tokens]  # in order: tokens come line by line
        sub.layout[key] = (line_offset, tuple(numbers))
        for h, positions in cell.marks.items():
            spans = []
            for pos in positions:
                first, lines = ids[pos], 0
                for i in ids[pos:pos + k]:
                    lines |= 1 << (i - first)
                spans.append((token_offset + pos, line_offset + first, lines))
            fp = hash((order[key], h))
            sub.fingerprints.add(fp)
            sub.spans[fp] = spans
        token_offset += len(cell.tokens)
        line_offset += len(numbers)
    sub.tokens = token_offset


def _decode_lines(sub: Submission, bits: int) -> dict[CellKey, set[int]]:
    """``{cell: line numbers}`` of the set bits, for the cells with any."""
    out = {}
    for key, (offset, numbers) in sub.layout.items():
        chunk = (bits >> offset) & ((1 << len(numbers)) - 1)
        if chunk:
            out[key] = {number for i, number in enumerate(numbers) if chunk >> i & 1}
    return out


@dataclass
class Pair:
    a: str
    b: str
    score: float  # Dice's coefficient of the two fingerprint sets
    containment_a: float  # shared fingerprints / a's fingerprints
    containment_b: float
    shared: int  # fingerprints in common
    matched_tokens_a: int  # tokens of a inside a shared k-gram
    matched_tokens_b: int
    tokens_a: int  # a's tokens, less the release's stub lines
    tokens_b: int
    line_bits_a: int = field(default=0, repr=False)  # matched lines of a (bits as in Submission.layout)
    line_bits_b: int = field(default=0, repr=False)
    sub_a: Submission | None = field(default=None, repr=False, compare=False)
    sub_b: Submission | None = field(default=None, repr=False, compare=False)

    @property
    def lines_a(self) -> dict[CellKey, set[int]]:
        """Matched lines of each cell of a (1-based, in the cell's source)."""
        return _decode_lines(self.sub_a, self.line_bits_a) if self.sub_a else {}

    @property
    def lines_b(self) -> dict[CellKey, set[int]]:
        return _decode_lines(self.sub_b, self.line_bits_b) if self.sub_b else {}

    @property
    def matched_lines_a(self) -> int:
        return self.line_bits_a.bit_count()

    @property
    def matched_lines_b(self) -> int:
        return self.line_bits_b.bit_count()

    @property
    def notebooks(self) -> list[str]:
        """Notebooks with matched lines."""
        if not self.sub_a or not self.line_bits_a:
            return []
        return sorted({nb for (nb, _), (offset, numbers) in self.sub_a.layout.items()
                       if (self.line_bits_a >> offset) & ((1 << len(numbers)) - 1)})


@dataclass
class Report:
    assignment: str
    cells: dict[CellKey, str]
    submissions: dict[str, Submission]
    pairs: list[Pair]
    skipped: list[str]
    ignored_common: int  # fingerprints dropped as common to most of the class
    seconds: float
    k: int = K
    window: int = WINDOW
    common: float = COMMON_FRACTION

    @property
    def pairs_compared(self) -> int:
        n = len(self.submissions)
        return n * (n - 1) // 2


def _cover(spans: list[tuple[int, int, int]], run: int, tokens: int, lines: int) -> tuple[int, int]:
    for token, line, line_set in spans:
        tokens |= run << token
        lines |= line_set << line
    return tokens, lines


def compare_pair(a: Submission, b: Submission, k: int = K) -> Pair:
    shared = a.fingerprints & b.fingerprints
    na, nb = len(a.fingerprints), len(b.fingerprints)
    run = (1 << k) - 1
    tokens_a = lines_a = tokens_b = lines_b = 0
    for fp in shared:
        tokens_a, lines_a = _cover(a.spans[fp], run, tokens_a, lines_a)
        tokens_b, lines_b = _cover(b.spans[fp], run, tokens_b, lines_b)
    return Pair(a.student, b.student, score=2 * len(shared) / (na + nb) if na + nb else 0.0,
                containment_a=len(shared) / na if na else 0.0, containment_b=len(shared) / nb if nb else 0.0,
                shared=len(shared), matched_tokens_a=tokens_a.bit_count(), matched_tokens_b=tokens_b.bit_count(),
                tokens_a=a.tokens, tokens_b=b.tokens, line_bits_a=lines_a, line_bits_b=lines_b, sub_a=a, sub_b=b)


def compare(assignment: str, source_dir: Path, release_dir: Path | None, submitted: dict[str, Path], *,
            k: int = K, window: int = WINDOW, common: float = COMMON_FRACTION, code_only: bool = False) -> Report:
    """Fingerprint every submission (``{student: folder}``) and compare every pair."""
    start = time.perf_counter()
    if not source_dir.is_dir():
        raise FileNotFoundError(f"no source folder {source_dir}")
    wanted = solution_cells(source_dir, code_only)
    if not wanted:
        raise ValueError(f"no solution cells with a grade_id in {source_dir}")
    template = boilerplate(source_dir, release_dir, k)
    order = {key: i for i, key in enumerate(wanted)}
    skipped: list[str] = []
    subs: dict[str, Submission] = {}
    for student, folder in sorted(submitted.items()):
        sub = load_submission(student, folder, wanted, skipped)
        if sub is None:
            skipped.append(f"{student}: no notebook of {assignment} could be read, left out")
            continue
        fingerprint(sub, template, order, k, window)
        subs[student] = sub
    counts = Counter(fp for sub in subs.values() for fp in sub.fingerprints)
    limit = max(COMMON_FLOOR, common * len(subs))
    too_common = {fp for fp, n in counts.items() if n > limit}
    for sub in subs.values():
        sub.fingerprints -= too_common
    students = sorted(subs)
    pairs = [compare_pair(subs[x], subs[y], k) for i, x in enumerate(students) for y in students[i + 1:]]
    pairs.sort(key=lambda p: (-p.score, -(p.matched_tokens_a + p.matched_tokens_b), p.a, p.b))
    return Report(assignment, wanted, subs, pairs, skipped, len(too_common), time.perf_counter() - start,
                  k=k, window=window, common=common)


# outputs --------------------------------------------------------------------------------------------------
CSV_FIELDS = ["rank", "student_a", "student_b", "score", "containment_a", "containment_b", "shared_fingerprints",
              "matched_tokens_a", "tokens_a", "matched_tokens_b", "tokens_b", "matched_lines_a", "matched_lines_b",
              "notebooks"]


def _cell_text(value: str) -> str:
    """A CSV field a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(report: Report, path: Path) -> Path:
    """Every pair, best first: ``CSV_FIELDS``."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for rank, p in enumerate(report.pairs, start=1):
            writer.writerow([rank, _cell_text(p.a), _cell_text(p.b), f"{p.score:.4f}", f"{p.containment_a:.4f}",
                             f"{p.containment_b:.4f}", p.shared, p.matched_tokens_a, p.tokens_a, p.matched_tokens_b,
                             p.tokens_b, p.matched_lines_a, p.matched_lines_b,
                             _cell_text(";".join(p.notebooks))])
    return path


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table.pairs { border-collapse: collapse; } .pairs td, .pairs th { padding: 2px 8px; border-bottom: 1px solid #ddd; }
.pairs td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; max-width: 60em; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.side > div { min-width: 0; } .side h4 { margin: 4px 0; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 6px; overflow-x: auto; font-size: 12px; margin: 0; }
pre span { display: block; white-space: pre; } pre span.m { background: #ffe08a; }
pre.text span { white-space: pre-wrap; }
pre i { color: #999; font-style: normal; display: inline-block; width: 3.5em; user-select: none; }
section { margin-top: 2em; border-top: 2px solid #ccc; }
"""


def _code_block(source: str, marked: set[int], kind: str = "code") -> str:
    rows = []
    for number, line in enumerate(source.splitlines() or [""], start=1):
        css = ' class="m"' if number in marked else ""
        rows.append(f"<span{css}><i>{number}</i>{html.escape(line)}</span>")
    return ("<pre>" if kind == "code" else '<pre class="text">') + "".join(rows) + "</pre>"


def render_html(report: Report, top: int = 25) -> str:
    """A self-contained page: the pairs ranked, then the ``top`` ones side by side, matched lines marked."""
    e = html.escape
    shown = [p for p in report.pairs if p.shared][:top]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Similarity: {e(report.assignment)}</title><style>{_CSS}</style></head><body>",
           f"<h1>Similarity of {e(report.assignment)}</h1>",
           f"<p>{len(report.submissions)} submissions, {report.pairs_compared} pairs compared, "
           f"{len(report.cells)} solution cells each; k-grams of {report.k} tokens, window {report.window}; "
           f"{report.ignored_common} fingerprints ignored as common to more than {report.common:.0%} of the class. "
           f"Generated {e(time.strftime('%Y-%m-%d %H:%M'))} in {report.seconds:.1f} s.</p>",
           '<p class="note">The score is Dice\'s coefficient of the two submissions\' fingerprints (0: nothing '
           "shared, 1: the same code) once names, comments, docstrings, strings, layout and the release's "
           "template are ignored; containment is the share of each side's fingerprints found in the other. "
           "A high score is a reason to read both submissions, not proof: exercises with one natural solution "
           "make independent work alike.</p>"]
    if report.skipped:
        out.append(f"<h2>Skipped ({len(report.skipped)})</h2><ul>")
        out.extend(f"<li>{e(line)}</li>" for line in report.skipped)
        out.append("</ul>")
    out.append(f"<h2>Pairs sharing code ({sum(1 for p in report.pairs if p.shared)}; the first {len(shown)} "
               "below)</h2>")
    out.append('<table class="pairs"><tr><th>#</th><th>student A</th><th>student B</th><th>score</th>'
               "<th>containment A / B</th><th>matched tokens A / B</th><th>notebooks</th></tr>")
    for rank, p in enumerate(shown, start=1):
        out.append(f'<tr><td class="num"><a href="#pair-{rank}">{rank}</a></td><td>{e(p.a)}</td><td>{e(p.b)}</td>'
                   f'<td class="num">{p.score:.2f}</td>'
                   f'<td class="num">{p.containment_a:.0%} / {p.containment_b:.0%}</td>'
                   f'<td class="num">{p.matched_tokens_a}/{p.tokens_a} / {p.matched_tokens_b}/{p.tokens_b}</td>'
                   f"<td>{e(', '.join(p.notebooks))}</td></tr>")
    out.append("</table>")
    for rank, p in enumerate(shown, start=1):
        a, b = report.submissions[p.a], report.submissions[p.b]
        out.append(f'<section id="pair-{rank}"><h2>{rank}. {e(p.a)} and {e(p.b)}: score {p.score:.2f}</h2>')
        for key in report.cells:
            if key not in p.lines_a:
                continue
            out.append(f"<h3>{e(key[0])}.ipynb, cell {e(key[1])}</h3><div class=\"side\">")
            for sub, lines in ((a, p.lines_a), (b, p.lines_b)):
                cell = sub.cells[key]
                out.append(f"<div><h4>{e(sub.student)}</h4>{_code_block(cell.source, lines[key], cell.kind)}</div>")
            out.append("</div>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def write_html(report: Report, path: Path, top: int = 25) -> Path:
    path.write_text(render_html(report, top), encoding="utf-8")
    return path


def summary(report: Report, top: int = 10) -> str:
    """The best pairs as a terminal table."""
    rows = [f"{report.assignment}: {len(report.submissions)} submissions, {report.pairs_compared} pairs compared "
            f"in {report.seconds:.1f} s"]
    shown = [p for p in report.pairs if p.shared][:top]
    if not shown:
        return rows[0] + "\nno pair shares code beyond the release's template"
    width = max(10, *(len(p.a) for p in shown), *(len(p.b) for p in shown))
    rows.append(f"{'score':>5}  {'student A':<{width}}  {'student B':<{width}}  {'matched tokens A/B':>18}  notebooks")
    for p in shown:
        matched = f"{p.matched_tokens_a}/{p.matched_tokens_b}"
        rows.append(f"{p.score:5.2f}  {p.a:<{width}}  {p.b:<{width}}  {matched:>18}  {', '.join(p.notebooks)}")
    return "\n".join(rows)


def run(course: Any, assignment: str, out: Path | None = None, *, top: int = 25, common: float = COMMON_FRACTION,
        code_only: bool = False) -> tuple[Report, Path, Path]:
    """Compare the submissions of ``assignment`` in an ``autograder.course.Course``; write the HTML and CSV."""
    submitted = {s: course.path("submitted", s, assignment) for s in course.submitted_students(assignment)}
    release = course.path("release", ".", assignment)
    report = compare(assignment, course.source_dir(assignment), release if release.is_dir() else None, submitted,
                     common=common, code_only=code_only)
    folder = Path(out) if out is not None else course.root / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    return report, write_html(report, folder / "similarity.html", top), write_csv(report, folder / "similarity.csv")
