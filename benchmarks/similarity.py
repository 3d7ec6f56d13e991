"""Prints the seconds `autograder similarity` takes on 200 synthetic submissions of 04_activations.

The course is a copy of this repository's ``source/`` and ``release/`` notebooks of 04_activations;
each submission is the release with its two code exercises (ELU and GELU, each a function and its
derivative) and its written answer filled in. Most are independent: each function is written in one
of several styles (``np.where``, a boolean mask, ``np.maximum``/``np.minimum``, ``np.vectorize``...)
with small choices of their own, names from a pool, comments or none, other spacing, answers made of
phrases. Some are planted copies of another submission: the same choices, rendered again with other
names, comments and spacing. Everyone's independent statements come in a random order, the copies'
too. Prints one JSON line: the whole command's seconds (process start-up included; wall and CPU,
since the machine may be shared) and the comparison's own, the pairs compared, where the planted
copies rank, and how high independent pairs score.

    python benchmarks/similarity.py [--submissions 200] [--copies 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "04_activations"
STUB = "    # ESCRIBE AQUÍ TU CÓDIGO\n    raise NotImplementedError()"
NAMES = ["x", "a", "v", "zz", "entrada", "valores", "arr", "datos", "t0", "w", "res", "salida", "out", "r", "y",
         "m", "mask", "neg", "pos", "c", "k", "u", "th", "sech2", "du", "dudz", "tanh_u", "cte", "g", "h"]
COMMENTS = ["# convierto a array de floats", "# parte negativa", "# vectorizado", "# fórmula del enunciado",
            "# ojo con el desbordamiento", "# derivada por partes", "# regla de la cadena", "# TODO revisar",
            "# así funciona", "# versión vectorizada", "# constante sqrt(2/pi)"]
PHRASES = ["La regla de la cadena multiplica las derivadas de cada capa.",
           "Como la derivada de la sigmoide vale como mucho 0.25, cada capa divide el gradiente por cuatro o más.",
           "Con ReLU la derivada es uno en las neuronas activas, así que el gradiente no se encoge.",
           "En mi ejecución los cocientes rondan 4, como predice la teoría.",
           "La red sigmoide tarda más porque sus primeras capas apenas cambian.",
           "Las neuronas muertas de ReLU no bloquean el aprendizaje mientras haya otras activas.",
           "Con tanh la derivada en cero vale uno y la norma se mantiene.",
           "La inicialización de Glorot mantiene la escala de los pesos.",
           "La pérdida se queda cerca de ln 10 durante varias épocas con la sigmoide.",
           "Con la misma tasa de aprendizaje, los pesos de las primeras capas casi no se mueven."]


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def _array(rng: random.Random) -> str:
    """``Z``, the argument as an array of floats, written one of several ways."""
    return _pick(rng, "Z = np.asarray(z, dtype=float)", "Z = np.array(z, dtype=np.float64)", "Z = np.asarray(z) * 1.0",
                 "Z = np.asarray(z).astype(float)", "Z = np.atleast_1d(z).astype(float).reshape(np.shape(z))")


def elu_body(rng: random.Random) -> list[list[str]]:
    """Statements of an ELU; each inner list is a group whose order does not matter."""
    neg = _pick(rng, "np.expm1(np.minimum(Z, 0.0))", "(np.exp(np.minimum(Z, 0)) - 1)", "(np.exp(np.clip(Z, None, 0)) - 1.0)")
    style = rng.randrange(4)
    if style == 0:
        return [[_array(rng)], [f"return np.where(Z > 0, Z, alpha * {neg})"]]
    if style == 1:
        return [[_array(rng)], ["OUT = Z.copy()", "M = Z <= 0"],
                ["OUT[M] = alpha * (np.exp(Z[M]) - 1)"], ["return OUT"]]
    if style == 2:
        return [[_array(rng)], [f"return np.maximum(Z, 0) + alpha * np.minimum({neg}, 0)"]]
    return [["F = np.vectorize(lambda V: V if V > 0 else alpha * (math.exp(V) - 1))"],
            ["return F(np.asarray(z, dtype=float)).astype(float)"]]


def d_elu_body(rng: random.Random) -> list[list[str]]:
    style = rng.randrange(3)
    exp = _pick(rng, "np.exp(np.minimum(Z, 0.0))", "np.exp(np.clip(Z, None, 0))")
    if style == 0:
        return [[_array(rng)], [f"return np.where(Z > 0, 1.0, alpha * {exp})"]]
    if style == 1:
        return [[_array(rng), "G = np.ones_like(np.asarray(z, dtype=float))"],
                ["M = Z <= 0"], ["G[M] = alpha * np.exp(Z[M])"], ["return G"]]
    return [[_array(rng)], ["POS = (Z > 0).astype(float)", f"NEG = alpha * {exp} * (Z <= 0)"],
            ["return POS + NEG"]]


def gelu_body(rng: random.Random) -> list[list[str]]:
    const = _pick(rng, "np.sqrt(2 / np.pi)", "math.sqrt(2.0 / math.pi)", "(2 / np.pi) ** 0.5")
    cube = _pick(rng, "0.044715 * Z**3", "0.044715 * Z * Z * Z", "0.044715 * np.power(Z, 3)")
    out = _pick(rng, "0.5 * Z * (1 + np.tanh(U))", "Z / 2 * (1.0 + np.tanh(U))", "Z * (1 + np.tanh(U)) / 2")
    if rng.random() < 0.5:
        return [[_array(rng), f"C = {const}"], [f"U = C * (Z + {cube})"], [f"return {out}"]]
    return [[_array(rng)], [f"return {out.replace('U', f'{const} * (Z + {cube})')}"]]


def d_gelu_body(rng: random.Random) -> list[list[str]]:
    const = _pick(rng, "np.sqrt(2 / np.pi)", "math.sqrt(2.0 / math.pi)", "0.7978845608")
    cube = _pick(rng, "0.044715 * Z**3", "0.044715 * Z * Z * Z", "0.044715 * np.power(Z, 3)")
    sech = _pick(rng, "(1 - T**2)", "(1.0 - T * T)", "1 / np.cosh(U) ** 2")
    du = _pick(rng, "C * (1 + 3 * 0.044715 * Z**2)", "C * (1 + 0.134145 * Z * Z)", "C + 3 * C * 0.044715 * Z**2")
    result = _pick(rng, f"0.5 * (1 + T) + 0.5 * Z * {sech} * DU", f"(1 + T) / 2 + Z / 2 * {sech} * DU",
                   f"0.5 * (1 + T + Z * {sech} * DU)")
    return [[_array(rng), f"C = {const}"], [f"U = C * (Z + {cube})", f"DU = {du}"],
            ["T = np.tanh(U)"], [f"return {result}"]]


def answer(rng: random.Random) -> str:
    return " ".join(rng.sample(PHRASES, 4))


def draw(rng: random.Random) -> dict:
    """One independent submission: the statement groups of each function, and the written answer."""
    return {"elu": elu_body(rng), "d_elu": d_elu_body(rng), "gelu": gelu_body(rng), "d_gelu": d_gelu_body(rng),
            "answer": answer(rng)}


def render(groups: list[list[str]], rng: random.Random, shuffle: bool = True) -> str:
    """The body of a function: placeholders (capitalised names) renamed, comments, spacing."""
    names = dict(zip(sorted({n for g in groups for s in g for n in re.findall(r"\b[A-Z]{1,3}\b", s)}),
                     rng.sample(NAMES, 12), strict=False))
    lines = []
    for group in groups:
        group = list(group)
        if shuffle:
            rng.shuffle(group)
        for statement in group:
            text = re.sub(r"\b[A-Z]{1,3}\b", lambda m: names[m.group()], statement)
            if rng.random() < 0.3:
                text = text.replace(", ", ",").replace(" * ", "*") if rng.random() < 0.5 else \
                    text.replace("(", "( ").replace(")", " )")
            if rng.random() < 0.3:
                lines.append("    " + rng.choice(COMMENTS))
            lines.append("    " + text + (f"  {rng.choice(COMMENTS)}" if rng.random() < 0.2 else ""))
    return "\n".join(lines)


def fill(release: nbformat.NotebookNode, work: dict, rng: random.Random, shuffle: bool) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in ("elu", "gelu"):
            first, second = (work[grade_id], work[f"d_{grade_id}"])
            head, middle, tail = cell.source.split(STUB)
            cell.source = head + render(first, rng, shuffle) + middle + render(second, rng, shuffle) + tail
        elif grade_id == "pregunta_analisis":
            cell.source = work["answer"]
    return nb


def build_course(base: Path, submissions: int, copies: int, seed: int) -> tuple[Path, set[frozenset[str]]]:
    root = base / "course"
    for step in ("source", "release"):
        shutil.copytree(ROOT / step / ASSIGNMENT, root / step / ASSIGNMENT)
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    rng = random.Random(seed)
    students = [f"s{i:03d}" for i in range(submissions)]
    works = {s: draw(rng) for s in students}
    planted = set()
    chosen = rng.sample(students, 2 * copies)
    for copier, original in zip(chosen[:copies], chosen[copies:], strict=True):
        works[copier] = works[original]
        planted.add(frozenset((copier, original)))
    for student in students:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nb = fill(release, works[student], rng, shuffle=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    return root, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, planted = build_course(Path(tmp), args.submissions, args.copies, args.seed)
        start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-m", "autograder.cli", "similarity", ASSIGNMENT, "--course-dir",
                               str(root)], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        if done.returncode:
            sys.exit(done.stdout + done.stderr)
        compared = re.search(r"(\d+) pairs compared in ([\d.]+) s", done.stdout)
        with (root / "reports" / ASSIGNMENT / "similarity.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        ranks = sorted(i for i, r in enumerate(rows, start=1) if frozenset((r["student_a"], r["student_b"])) in planted)
        independent = [float(r["score"]) for r in rows if frozenset((r["student_a"], r["student_b"])) not in planted]
        print(json.dumps({"benchmark": "similarity", "submissions": args.submissions,
                          "pairs_compared": int(compared.group(1)) if compared else None,
                          "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
                          "seconds_comparing": float(compared.group(2)) if compared else None,
                          "planted_copies": len(planted), "planted_copies_in_top": sum(r <= len(planted) for r in ranks),
                          "worst_planted_rank": ranks[-1] if ranks else None,
                          "lowest_planted_score": min((float(rows[r - 1]["score"]) for r in ranks), default=None),
                          "independent_pairs_over_0.5": sum(s > 0.5 for s in independent),
                          "independent_score_max": max(independent, default=0.0)}), flush=True)


if __name__ == "__main__":
    main()
