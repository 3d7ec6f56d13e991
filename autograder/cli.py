"""``autograder``: release assignments and grade a class on top of nbgrader.

    autograder release ASSIGNMENT... [--course-dir DIR]
    autograder grade ASSIGNMENT [--course-dir DIR] [--student ID...] [--workers N] [--gpus auto|none|0,1]
                     [--per-gpu K] [--gpu-memory-mb MB]
                     [--timeout SECONDS] [--cell-timeout SECONDS] [--memory GB] [--force]
                     [--backend local|ray] [--address ADDRESS] [--no-preflight] [--max-... limits]
                     [--no-report]
    autograder similarity ASSIGNMENT [--course-dir DIR] [--out DIR] [--top N] [--common FRACTION] [--code-only]
    autograder report ASSIGNMENT [--course-dir DIR] [--out FILE] [--show-names]
    autograder export ASSIGNMENT --format canvas|moodle|csv [--course-dir DIR] [--out FILE] [--column NAME]
                      [--canvas-id ID] [--lms-id user|sis] [--missing zero|blank]
    autograder demo [--out DIR] [--no-report]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .devices import DEFAULT_NEED_MB

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _course(args: argparse.Namespace):
    from .course import Course

    return Course(args.course_dir)


def cmd_release(args: argparse.Namespace) -> int:
    course = _course(args)
    for assignment in args.assignments:
        dest = course.release(assignment)
        print(f"released {assignment} -> {dest}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from .runner import Options, grade_assignment, summary_table
    from .sandbox import Limits

    course = _course(args)
    limits = Limits()
    for name, value, unit in (("processes", args.max_processes, 1), ("open_files", args.max_open_files, 1),
                              ("file_size", args.max_file_mb, 2**20), ("disk", args.max_disk_mb, 2**20),
                              ("output", args.max_output_mb, 2**20), ("files", args.max_files, 1),
                              ("notebook", args.max_notebook_mb, 2**20), ("cells", args.max_cells, 1),
                              ("model", args.max_model_mb, 2**20)):
        if value is not None:
            setattr(limits, name, int(value * unit))
    options = Options(workers=args.workers, gpus=args.gpus, per_gpu=args.per_gpu, gpu_memory_mb=args.gpu_memory_mb,
                      timeout=args.timeout, cell_timeout=args.cell_timeout,
                      memory_gb=args.memory, threads=args.threads, seed=args.seed, force=args.force,
                      students=args.student, progress=not args.no_progress, feedback=not args.no_feedback,
                      sandbox=args.sandbox, limits=limits, backend=args.backend, address=args.address,
                      preflight=not args.no_preflight)
    report = grade_assignment(course, args.assignment, options)
    print(summary_table(report))
    if not args.no_report:
        from .report import write_and_announce

        write_and_announce(course, args.assignment)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    path = write_report(_course(args), args.assignment, args.out, show_names=args.show_names)
    print(f"report: {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import default_path, rows_for, write_csv
    from .grades import class_grades

    course = _course(args)
    grades = class_grades(course, args.assignment)
    rows = rows_for(grades, args.format, column=args.column, canvas_id=args.canvas_id, missing=args.missing,
                    lms_id=args.lms_id)
    dest = write_csv(rows, args.out or default_path(course.root, args.assignment, args.format))
    submitted = grades.submitted
    pending = sum(1 for s in submitted if s.needs_manual_grade)
    print(f"exported {len(grades.students)} students ({len(submitted)} submissions) of {args.assignment} "
          f"for {args.format} to {dest}")
    if pending:
        print(f"warning: {pending} submission(s) wait for a manual grade (nbgrader formgrader); "
              "those cells count 0 until graded", file=sys.stderr)
    return 0


def cmd_similarity(args: argparse.Namespace) -> int:
    from .similarity import run, summary

    report, page, table = run(_course(args), args.assignment, Path(args.out) if args.out else None, top=args.top,
                              common=args.common, code_only=args.code_only)
    for line in report.skipped:
        print(f"skipped {line}", file=sys.stderr)
    print(summary(report, top=10))
    print(f"report: {page}")
    print(f"csv:    {table}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.out), workers=args.workers, progress=not args.no_progress, report=not args.no_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Release and grade nbgrader assignments.")
    sub = parser.add_subparsers(dest="command", required=True)

    release = sub.add_parser("release", help="generate the student version of assignments into release/")
    release.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")
    release.add_argument("--course-dir", default=".", help="the nbgrader course directory (default: .)")
    release.set_defaults(func=cmd_release)

    grade = sub.add_parser("grade", help="grade every submission in submitted/*/ASSIGNMENT")
    grade.add_argument("assignment", metavar="ASSIGNMENT")
    grade.add_argument("--course-dir", default=".", help="the nbgrader course directory (default: .)")
    grade.add_argument("--student", action="append", help="grade only this student (repeatable)")
    grade.add_argument("--workers", type=int, help="CPU workers (default: one per two cores); with GPUs, GPUs used at most")
    grade.add_argument("--gpus", default="auto", help="auto (default), none, or indices like 0,1")
    grade.add_argument("--per-gpu", type=int, metavar="K",
                       help="submissions sharing each GPU, each with its share of the GPU's memory as a cap and of "
                            "the cores (default: the GPU's memory over --gpu-memory-mb plus 1 GiB for each "
                            "process's CUDA context, at most one per core; 1 with --backend ray)")
    grade.add_argument("--gpu-memory-mb", type=int, default=DEFAULT_NEED_MB, metavar="MB",
                       help=f"GPU memory one submission needs, for the default --per-gpu (default {DEFAULT_NEED_MB})")
    grade.add_argument("--timeout", type=float, default=1800, help="seconds for a whole submission (default 1800)")
    grade.add_argument("--cell-timeout", type=int, help="seconds per cell (default: the course's Execute.timeout, else 600)")
    grade.add_argument("--memory", type=float, help="GiB per submission (default: 80%% of the memory over the workers)")
    grade.add_argument("--threads", type=int, help="math threads per submission (default: cores over workers)")
    grade.add_argument("--seed", type=int, default=42, help="seed of Python, NumPy, TensorFlow and PyTorch (default 42)")
    grade.add_argument("--force", action="store_true", help="grade again what is already graded")
    grade.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto",
                       help="run student kernels in bubblewrap: auto (default: where it runs, else warn), "
                            "bwrap (required), none")
    grade.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="where submissions run: local (default: worker processes on this machine) or ray "
                            "(one Ray task per submission, with one GPU where the cluster has GPUs; "
                            "pip install 'dl-course-kit[ray]')")
    grade.add_argument("--address", help="with --backend ray: the cluster to use (host:port, ray://host:port, or "
                                         "auto for the one `ray start` runs here); default: a local Ray instance "
                                         "with --workers x --threads CPUs, shut down at the end")
    grade.add_argument("--no-preflight", action="store_true",
                       help="skip the check that a sandboxed kernel and evaluator work here before anyone is graded")
    grade.add_argument("--no-report", action="store_true",
                       help="skip the class report (COURSE/reports/ASSIGNMENT/report.html) written after grading")
    limits = grade.add_argument_group("limits per submission (defaults in autograder/sandbox.py: Limits)")
    limits.add_argument("--max-processes", type=int, help="processes and threads of a sandboxed kernel (512)")
    limits.add_argument("--max-open-files", type=int, help="open files (1024)")
    limits.add_argument("--max-file-mb", type=float, help="size of one file written (2048 MB)")
    limits.add_argument("--max-disk-mb", type=float, help="all files in the working folder (4096 MB)")
    limits.add_argument("--max-output-mb", type=float, help="cell outputs per notebook; the rest is dropped (8 MB)")
    limits.add_argument("--max-files", type=int, help="files and folders in a submission or its working folder (5000)")
    limits.add_argument("--max-notebook-mb", type=float, help="size of a submitted notebook (16 MB)")
    limits.add_argument("--max-cells", type=int, help="cells of a submitted notebook (2000)")
    limits.add_argument("--max-model-mb", type=float, help="each file a threshold check loads (512 MB)")
    grade.set_defaults(func=cmd_grade)

    similar = sub.add_parser("similarity", help="compare the solution cells of every pair of submissions: "
                                                   "an HTML report and a CSV of the pairs, most alike first")
    similar.add_argument("assignment", metavar="ASSIGNMENT")
    similar.add_argument("--course-dir", default=".", help="the nbgrader course directory (default: .)")
    similar.add_argument("--out", help="folder of similarity.html and similarity.csv "
                                       "(default: COURSE/reports/ASSIGNMENT)")
    similar.add_argument("--top", type=int, default=25, help="pairs shown side by side in the HTML (default 25)")
    similar.add_argument("--common", type=float, default=0.5,
                         help="ignore code found in more than this fraction of the submissions (default 0.5; "
                              "never code found in 10 submissions or fewer)")
    similar.add_argument("--code-only", action="store_true", help="leave written (markdown) answers out")
    similar.set_defaults(func=cmd_similarity)
    report = sub.add_parser("report", help="the instructor's view of a graded class: one self-contained HTML page")
    report.add_argument("assignment", metavar="ASSIGNMENT")
    report.add_argument("--course-dir", default=".", help="the nbgrader course directory (default: .)")
    report.add_argument("--out", help="where to write it (default: COURSE/reports/ASSIGNMENT/report.html)")
    report.add_argument("--show-names", action="store_true",
                        help="show student ids in the leaderboard (default: a stable pseudonym per student)")
    report.set_defaults(func=cmd_report)

    export = sub.add_parser("export", help="the gradebook as a CSV that Canvas or Moodle imports, or a plain CSV")
    export.add_argument("assignment", metavar="ASSIGNMENT")
    export.add_argument("--format", required=True, choices=("canvas", "moodle", "csv"),
                        help="canvas (gradebook import), moodle (grade import) or csv (every cell's points)")
    export.add_argument("--course-dir", default=".", help="the nbgrader course directory (default: .)")
    export.add_argument("--out", help="the file (default: COURSE/exports/ASSIGNMENT/{canvas,moodle,grades}.csv)")
    export.add_argument("--column", help="the grade column's name on the platform (default: the assignment's name)")
    export.add_argument("--canvas-id", help="the Canvas assignment's id (the number in its URL): the column is "
                                            "then 'NAME (ID)' and updates that assignment; without it Canvas "
                                            "makes a new one")
    export.add_argument("--lms-id", choices=("user", "sis"), default="user",
                        help="what nbgrader's lms_user_id holds, for canvas: Canvas' user id (default; its ID "
                             "column) or the SIS user id (its SIS User ID column)")
    export.add_argument("--missing", choices=("zero", "blank"), default="zero",
                        help="the grade of a student with no submission: zero (default, as nbgrader's grades.csv) "
                             "or blank (left unchanged on import)")
    export.set_defaults(func=cmd_export)

    demo = sub.add_parser("demo", help="build a demo course, grade five sample submissions, print the gradebook")
    demo.add_argument("--out", default="demo-course", help="where to build it (default: ./demo-course)")
    demo.add_argument("--workers", type=int, default=2, help="CPU workers (default 2)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.add_argument("--no-report", action="store_true", help="skip the class report")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted: finished submissions are saved; run the same command again to go on", file=sys.stderr)
        return 130
    except (RuntimeError, FileNotFoundError, ValueError) as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
