"""The ``medtutor`` command: data management, an environment doctor, student builds, the heart pipeline.

medtutor data list | fetch [NAME...] [--dest DIR] | verify [--dir DIR] | where
medtutor doctor
medtutor student SRC_DIR -o OUT_DIR
medtutor heart train --data DIR [--sites a b c d] --out MODEL.keras [--kind robust|ensemble|mlp] [--loso]
medtutor heart evaluate --model MODEL.keras --folder FOLDER
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medtutor import data


def _cmd_list(args: argparse.Namespace) -> int:
    for row in data.status():
        print(f"{row['name']:15s} {row['title']}\n{'':15s} licence: {row['license']}\n{'':15s} now: {row['where']}")
    return 0


def _cmd_where(args: argparse.Namespace) -> int:
    seeded = data.data_dir()
    print(
        f"MEDTUTOR_DATA_DIR : {seeded if seeded else '(unset)'}"
        + ("" if not seeded or seeded.is_dir() else "  (MISSING)")
    )
    print(f"user cache        : {data.cache_dir()}")
    print("order             : MEDTUTOR_DATA_DIR -> user cache -> download (pooch, md5) -> synthetic stand-in")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    names = args.names or [n for n, e in data.registry().items() if e["format"] != "package-file"]
    failed = 0
    for name in names:
        try:
            sites = "".join(args.sites) if args.sites else None
            files = data.fetch(name, dest=args.dest, sites=sites)
            print(f"ok      {name}: {len(files)} file(s)" + (f" -> {Path(args.dest) / name}" if args.dest else ""))
        except (data.DataUnavailableError, data.ChecksumError, KeyError, ValueError) as err:
            failed += 1
            print(f"FAILED  {name}: {err}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_verify(args: argparse.Namespace) -> int:
    folder = args.dir or data.data_dir()
    if folder is None:
        print("Nothing to verify: pass --dir DIR or set MEDTUTOR_DATA_DIR.", file=sys.stderr)
        return 2
    try:
        report = data.verify_dir(folder)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    bad = [(rel, st) for rel, st in report if st != "ok"]
    for rel, st in bad:
        print(f"{st:8s} {rel}")
    mismatches = sum(st == "MISMATCH" for _, st in bad)
    print(
        f"{len(report) - len(bad)} ok, {mismatches} checksum mismatch(es), {len(bad) - mismatches} missing, in {folder}"
    )
    return 1 if mismatches else 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    import medtutor

    env = medtutor.environment(keras=not args.no_tf)
    for key, value in env.items():
        print(f"{key:22s}: {value}")
    print()
    return _cmd_list(args)


def _cmd_student(args: argparse.Namespace) -> int:
    from medtutor import exercises

    try:
        written = exercises.build_student_dir(args.src, args.out)
    except (FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 2
    print(f"wrote {len(written)} student notebook(s) to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of the ``medtutor`` command."""
    parser = argparse.ArgumentParser(prog="medtutor", description="Helper command of the medtutor course.")
    sub = parser.add_subparsers(dest="command", required=True)

    p_data = sub.add_parser("data", help="list, fetch, verify and locate the course datasets")
    dsub = p_data.add_subparsers(dest="action", required=True)
    dsub.add_parser("list", help="every dataset, its licence and where it comes from now").set_defaults(func=_cmd_list)
    dsub.add_parser("where", help="the folders the course looks in").set_defaults(func=_cmd_where)
    p_fetch = dsub.add_parser("fetch", help="download (verified) into the cache, or into --dest for a classroom")
    p_fetch.add_argument("names", nargs="*", help="dataset names (default: all downloadable)")
    p_fetch.add_argument("--dest", help="pre-seed this folder (layout <dataset>/<file>) instead of the cache")
    p_fetch.add_argument("--sites", nargs="+", help="PhysioNet 2016 sites, e.g. a b c d e f")
    p_fetch.set_defaults(func=_cmd_fetch)
    p_verify = dsub.add_parser("verify", help="check every file in a data folder against the official checksums")
    p_verify.add_argument("--dir", help="the folder (default: MEDTUTOR_DATA_DIR)")
    p_verify.set_defaults(func=_cmd_verify)

    p_doc = sub.add_parser("doctor", help="versions, cores, memory and data status")
    p_doc.add_argument("--no-tf", action="store_true", help="skip importing TensorFlow")
    p_doc.set_defaults(func=_cmd_doctor)

    p_stu = sub.add_parser("student", help="write student notebooks (solutions removed)")
    p_stu.add_argument("src", help="folder of solution notebooks")
    p_stu.add_argument("-o", "--out", required=True, help="output folder")
    p_stu.set_defaults(func=_cmd_student)

    p_heart = sub.add_parser("heart", help="heart-sound (PhysioNet 2016) model: train and evaluate")
    try:
        from medtutor import heart
    except ImportError:  # pragma: no cover - heart.py not built yet
        heart = None
    if heart is not None and hasattr(heart, "add_cli"):
        heart.add_cli(p_heart.add_subparsers(dest="action", required=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``medtutor`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
