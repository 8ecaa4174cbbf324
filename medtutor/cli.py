"""The ``medtutor`` command: data management, an environment doctor, student builds, the heart pipeline.

medtutor data list | fetch [NAME...] [--dest DIR] | verify [--dir DIR] | where
medtutor doctor
medtutor student SRC_DIR -o OUT_DIR [--keep-existing]
medtutor heart train --data DIR [--sites a b c d] --out MODEL.keras [--kind robust|ensemble|mlp] [--loso]
medtutor heart evaluate --model MODEL.keras --folder FOLDER
medtutor stroke train --out MODEL.keras [--subjects N] [--epochs E] [--seed S]
medtutor stroke evaluate --model MODEL.keras --data ROOT [--subject SUB] [--out DIR]
medtutor course translate [--check] | zh-status [NN...] | zh-extract NN [--todo] [-o FILE] | zh-assemble NN FILE
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

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
        except (data.DataUnavailableError, data.ChecksumError, KeyError, ValueError, OSError) as err:
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
        print(f"{st:10s} {rel}")
    mismatches = sum(st == "MISMATCH" for _, st in bad)
    unreadable = sum(st == "UNREADABLE" for _, st in bad)
    missing = len(bad) - mismatches - unreadable
    print(
        f"{len(report) - len(bad)} ok, {mismatches} checksum mismatch(es), {missing} missing, "
        f"{unreadable} unreadable, in {folder}"
    )
    problems = data.verify_problems(folder, report)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


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
        written = exercises.build_student_dir(args.src, args.out, keep_existing=args.keep_existing)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    kept = " (notebooks already there were kept: your work is never overwritten)" if args.keep_existing else ""
    print(f"wrote {len(written)} student notebook(s) to {args.out}{kept}")
    return 0


# --------------------------------------------------------------------------- heart


def _check_writable(out: Path) -> None:
    """Fail before training, not after: the folder of ``out`` must exist (or be creatable) and be writable."""
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=parent, suffix=".keras.tmp"):
            pass
    except (OSError, FileExistsError) as err:
        raise ValueError(
            f"cannot write {out} ({type(err).__name__}: {err}); choose an --out in a folder you can write to."
        ) from err


def _print_loso(rows: list[dict[str, Any]]) -> None:
    print(f"{'site':<6}{'n':>5}{'abn.':>6}{'Se':>7}{'Sp':>7}{'MAcc':>7}  95% CI")
    for r in rows:
        print(
            f"{r['site']:<6}{r['n']:>5}{r['n_abnormal']:>6}{r['se']:>7.3f}{r['sp']:>7.3f}{r['macc']:>7.3f}"
            f"  [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]"
        )
    print(f"mean MAcc over {len(rows)} unseen sites: {np.mean([r['macc'] for r in rows]):.3f}")


def _cmd_heart_train(args: argparse.Namespace) -> int:
    from medtutor import data, heart, heart_model

    if not str(args.out).endswith(".keras"):
        print(f"error: --out must end with .keras (Keras' model format), got {args.out!r}.", file=sys.stderr)
        return 2
    try:
        _check_writable(Path(args.out))
        sites_arg = "".join(args.sites) if args.sites else None
        records, signals, labels, fs = data.read_physionet_folder(args.data, sites=sites_arg)
        site_of = data.physionet_sites(args.data, sites_arg)
        print(f"training on {len(records)} recordings ({int(labels.sum())} abnormal) from {args.data}")
        features = heart.recording_features(signals, fs, sequences=args.kind == "ensemble")
        if args.loso:
            if len(set(site_of)) < 2:
                raise ValueError("--loso needs recordings from at least 2 sites (training-<site>/ folders).")
            print(f"leave-one-site-out ({args.kind}): train on the other sites, test on each site in turn")
            _print_loso(
                heart_model.loso_table(features, labels, site_of, kind=args.kind, epochs=args.epochs, seed=args.seed)
            )
        model = heart_model.train_model(
            signals, labels, fs, epochs=args.epochs, seed=args.seed, kind=args.kind, features=features, sites=site_of
        )
    except (FileNotFoundError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"saved {heart_model.save_model(model, Path(args.out))}")
    return 0


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (0 epochs would save an untrained model)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (0 epochs leaves the model untrained), got {value}")
    return value


def _cmd_heart_evaluate(args: argparse.Namespace) -> int:
    from medtutor import heart_model

    try:
        model = heart_model.load_model(Path(args.model))
        res = heart_model.evaluate_folder(model, args.folder)
    except (FileNotFoundError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"recordings: {res['n']} ({res['n_abnormal']} abnormal)")
    print(f"Se={res['se']:.4f}")
    print(f"Sp={res['sp']:.4f}")
    print(f"MAcc={res['macc']:.4f}")
    return 0


def _add_heart_cli(subparsers: Any) -> None:
    """Register ``train`` and ``evaluate`` on the ``medtutor heart`` argparse subparsers."""
    from medtutor import heart_model

    p = _command(subparsers, "train", "train the heart-sound window model on PhysioNet-format data", _cmd_heart_train)
    p.add_argument("--data", required=True, help="folder with training-<site>/ sub-folders, or one site's folder")
    p.add_argument("--sites", nargs="+", help="sites to use, e.g. a b c d (default: all present)")
    p.add_argument("--out", required=True, help="where to write the model (.keras)")
    p.add_argument("--epochs", type=_positive_int, default=40, help="training epochs of the mlp/ensemble (default 40)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--kind",
        choices=list(heart_model.KINDS),
        default=heart_model.KINDS[0],
        help="robust: site-robust linear model (default); ensemble: feature MLP + Conv1D-GRU; mlp: feature MLP",
    )
    p.add_argument("--loso", action="store_true", help="first print the leave-one-site-out table (Se, Sp, MAcc, CI)")
    p = _command(subparsers, "evaluate", "Se, Sp and MAcc of a model on a PhysioNet-format folder", _cmd_heart_evaluate)
    p.add_argument("--model", required=True, help="a model written by `medtutor heart train`")
    p.add_argument("--folder", required=True, help="a folder of WAV + .hea files (or REFERENCE.csv)")


def _command(sub: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` that runs ``func(args)``; returns its parser for the arguments."""
    p = sub.add_parser(name, help=help_text)
    p.set_defaults(func=func)
    return p


def _group(sub: Any, name: str, help_text: str) -> Any:
    """Add the command group ``name`` (``medtutor <name> <action>``); returns the subparsers of its actions."""
    return sub.add_parser(name, help=help_text).add_subparsers(dest="action", required=True)


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of the ``medtutor`` command."""
    parser = argparse.ArgumentParser(prog="medtutor", description="Helper command of the medtutor course.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_course_cli(sub)

    dsub = _group(sub, "data", "list, fetch, verify and locate the course datasets")
    _command(dsub, "list", "every dataset, its licence and where it comes from now", _cmd_list)
    _command(dsub, "where", "the folders the course looks in", _cmd_where)
    p_fetch = _command(dsub, "fetch", "download (verified) into the cache, or into --dest for a classroom", _cmd_fetch)
    p_fetch.add_argument("names", nargs="*", help="dataset names (default: all downloadable)")
    p_fetch.add_argument("--dest", help="pre-seed this folder (layout <dataset>/<file>) instead of the cache")
    p_fetch.add_argument("--sites", nargs="+", help="PhysioNet 2016 sites, e.g. a b c d e f")
    p_verify = _command(dsub, "verify", "check every file in a data folder against the official checksums", _cmd_verify)
    p_verify.add_argument("--dir", help="the folder (default: MEDTUTOR_DATA_DIR)")

    p_doc = _command(sub, "doctor", "versions, cores, memory and data status", _cmd_doctor)
    p_doc.add_argument("--no-tf", action="store_true", help="skip importing TensorFlow")

    p_stu = _command(sub, "student", "write student notebooks (solutions removed)", _cmd_student)
    p_stu.add_argument("src", help="folder of solution notebooks")
    p_stu.add_argument("-o", "--out", required=True, help="output folder")
    p_stu.add_argument(
        "--keep-existing",
        action="store_true",
        help="add only notebooks missing from OUT_DIR (a student's working copy)",
    )

    _add_heart_cli(_group(sub, "heart", "heart-sound (PhysioNet 2016) model: train and evaluate"))
    _add_stroke_parser(sub)
    return parser


def _cmd_course_build(args: argparse.Namespace) -> int:
    from medtutor import course

    if args.action == "slides":
        print(f"wrote {len(course.build_slides(args.out))} decks to {args.out}")
    else:
        pages = course.build_site(args.out, execute=not args.no_execute, progress=True)
        print(f"wrote {len(pages)} pages to {args.out}")
    return 0


def _cmd_course_tag(args: argparse.Namespace) -> int:
    from medtutor import course

    changed = [p for p in args.paths if course.tag_slides(p)]
    print(f"slide metadata updated in {len(changed)} notebook(s)")
    return 0


def _cmd_course_sync(args: argparse.Namespace) -> int:
    from medtutor import course

    stale = [
        name
        for name, changed in (("README.md", course.sync_readme(write=not args.check)),
                              ("notebook 00", course.sync_welcome(write=not args.check)),
                              ("README.zh.md", _sync_readme_zh(write=not args.check)))
        if changed
    ]  # fmt: skip
    if args.check and stale:
        where = " and ".join(stale)
        print(
            f"the course table of {where} differs from medtutor/course.json: run `medtutor course sync`.",
            file=sys.stderr,
        )
        return 1
    print("course tables " + (f"updated in {', '.join(stale)}" if stale else "up to date"))
    return 0


def _cmd_course_colab(args: argparse.Namespace) -> int:
    from medtutor import course

    paths = args.paths or [str(p) for p in course.course_notebooks()]
    stale = [p for p in paths if course.colab_cell(p, write=args.write)]
    for p in stale:
        print(("inserted/updated the Colab cell in " if args.write else "Colab cell missing or stale: ") + p)
    if stale and not args.write:
        print("fix: medtutor course colab-cell --write", file=sys.stderr)
        return 1
    print(f"{len(paths) - len(stale)} of {len(paths)} notebook(s) already had the current Colab cell")
    return 0


def _cmd_course_renumber(args: argparse.Namespace) -> int:
    from medtutor import course

    report = course.renumber(args.root, dry_run=args.dry_run)
    if not report["plan"]:
        print("nothing to renumber: every file already carries its position in medtutor/course.json")
        return 0
    verb = "would" if args.dry_run else "did"
    print("plan (old -> new): " + ", ".join(f"{a}->{b}" for a, b in sorted(report["plan"].items())))
    for old, new in report["renames"]:
        print(f"{verb} rename {old} -> {new}")
    for path, n in report["edits"].items():
        print(f"{verb} rewrite {n:4d} reference(s) in {path}")
    if args.dry_run:
        print("dry run: nothing changed. Review, then run without --dry-run and `medtutor course sync`.")
    return 0


def _add_course_cli(sub: argparse._SubParsersAction) -> None:
    """``medtutor course ...``: slides, the site, slide tags, README sync, the Colab cell, renumbering."""
    p_course = sub.add_parser("course", help="the course as a whole: site, slides, map, Colab cell, renumbering")
    csub = p_course.add_subparsers(dest="action", required=True)
    p_slides = csub.add_parser("slides", help="reveal.js decks, one per notebook")
    p_slides.add_argument("-o", "--out", default="build/slides")
    p_slides.set_defaults(func=_cmd_course_build)
    p_site = csub.add_parser("site", help="execute every notebook, then render the course as static HTML")
    p_site.add_argument("-o", "--out", default="build/site")
    p_site.add_argument("--no-execute", action="store_true", help="render the committed (cleared) notebooks")
    p_site.set_defaults(func=_cmd_course_build)
    p_tag = csub.add_parser("tag-slides", help="write slide metadata into notebooks")
    p_tag.add_argument("paths", nargs="+")
    p_tag.set_defaults(func=_cmd_course_tag)
    p_sync = csub.add_parser("sync", help="README's and notebook 00's course tables from medtutor/course.json")
    p_sync.add_argument("--check", action="store_true", help="only report (exit 1) when README is stale")
    p_sync.set_defaults(func=_cmd_course_sync)
    p_colab = csub.add_parser("colab-cell", help="the first cell that installs medtutor on Colab")
    mode = p_colab.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report notebooks without the current cell (default)")
    mode.add_argument("--write", action="store_true", help="insert or update the cell (idempotent)")
    p_colab.add_argument("paths", nargs="*", help="notebooks (default: every course notebook)")
    p_colab.set_defaults(func=_cmd_course_colab)
    p_ren = csub.add_parser("renumber", help="make file numbers follow the order of medtutor/course.json")
    p_ren.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    p_ren.add_argument("--root", default=str(Path(__file__).resolve().parents[1]), help="repository root")
    p_ren.set_defaults(func=_cmd_course_renumber)
    _add_i18n_cli(csub)


# --------------------------------------------------------------------------- medtutor course: the Chinese edition


def _sync_readme_zh(write: bool) -> bool:
    """README.zh.md's course table (when the file exists): part of ``medtutor course sync``."""
    from medtutor import i18n

    return i18n.README_ZH.is_file() and i18n.sync_readme_zh(write=write)


def _cmd_course_translate(args: argparse.Namespace) -> int:
    """Generate notebooks/zh/*.ipynb from the English notebooks and the stores; --check reports drift instead."""
    from medtutor import i18n

    if not args.check:
        changed = i18n.translate_all()
        for path in changed:
            print(f"wrote {path.relative_to(i18n.ROOT)}")
        print(f"{len(changed)} Chinese notebook(s) regenerated")
    problems = i18n.drift_report(require_all=args.require_all)
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    stores = sorted(p.stem for p in i18n.STORE_DIR.glob("*.json"))
    print(f"{len(stores)} translation store(s), {len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_course_zh_status(args: argparse.Namespace) -> int:
    """Per notebook: translated, stale and missing markdown cells (what a translator has left to do)."""
    from medtutor import i18n

    paths = (
        [i18n.resolve_notebook(n) for n in args.notebooks] if args.notebooks else i18n._english_notebooks(i18n.EN_DIR)
    )
    for path in paths:
        st = i18n.notebook_status(path)
        if not st["store"]:
            print(f"{st['notebook']}: no store yet ({st['cells']} markdown cells to translate)")
            continue
        print(f"{st['notebook']}: {len(st['translated'])}/{st['cells']} translated, "
              f"{len(st['stale'])} stale, {len(st['missing'])} missing")  # fmt: skip
        for kind in ("stale", "missing"):
            if st[kind]:
                print(f"    {kind}: {' '.join(st[kind])}")
        for problem in st["problems"]:
            if "stale" not in problem and "not translated" not in problem and "missing" not in problem:
                print(f"    PROBLEM {problem}")
    return 0


def _cmd_course_zh_extract(args: argparse.Namespace) -> int:
    """Print (or write) the English markdown cells to translate, under their ``===== id=... sha256=...`` markers."""
    from medtutor import i18n

    path = i18n.resolve_notebook(args.notebook)
    only = None
    if args.todo:
        st = i18n.notebook_status(path)
        only = set(st["stale"]) | set(st["missing"])
    text = i18n.extract_text(i18n.read_notebook(path), only)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}: {text.count('===== id=')} cell(s) of {path.name} to translate")
    else:
        print(text)
    return 0


def _cmd_course_zh_assemble(args: argparse.Namespace) -> int:
    """Take the translated cells of a file in the extract format into the store, then check the store."""
    from medtutor import i18n

    path = i18n.resolve_notebook(args.notebook)
    from medtutor._validate import read_text_file

    text = read_text_file(Path(args.file), "translation file")
    spath, n = i18n.assemble_store(path, text, i18n.store_path(path.name))
    print(f"wrote {spath.relative_to(i18n.ROOT)}: {n} cell(s) from {args.file}")
    problems = i18n.store_problems(i18n.read_notebook(path), i18n.load_store(spath), path.name)
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"{len(problems)} problem(s); then run `medtutor course translate`")
    return 1 if problems else 0


def _i18n_errors(func: Any) -> Any:
    """Wrap a zh command so that a bad notebook number or a malformed store is one line, exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2

    return run


def _add_i18n_cli(csub: argparse._SubParsersAction) -> None:
    """``medtutor course translate | zh-status | zh-extract | zh-assemble``: the Chinese edition (issue 18)."""
    p = csub.add_parser("translate", help="generate notebooks/zh/*.ipynb from the English notebooks + the stores")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 naming every drift problem")
    p.add_argument("--require-all", action="store_true", help="a course notebook without a store is a problem too")
    p.set_defaults(func=_i18n_errors(_cmd_course_translate))
    p = csub.add_parser("zh-status", help="untranslated and stale markdown cells per notebook")
    p.add_argument("notebooks", nargs="*", help="numbers or names (default: every course notebook)")
    p.set_defaults(func=_i18n_errors(_cmd_course_zh_status))
    p = csub.add_parser("zh-extract", help="the English markdown cells to translate, with id/hash marker lines")
    p.add_argument("notebook", help="number or name, e.g. 07")
    p.add_argument("--todo", action="store_true", help="only cells that are missing or stale in the store")
    p.add_argument("-o", "--out", help="write to this file instead of printing")
    p.set_defaults(func=_i18n_errors(_cmd_course_zh_extract))
    p = csub.add_parser("zh-assemble", help="put translated cells (extract format) into the store, then check it")
    p.add_argument("notebook", help="number or name, e.g. 07")
    p.add_argument("file", help="the extract file with each English text replaced by its translation")
    p.set_defaults(func=_i18n_errors(_cmd_course_zh_assemble))


# --------------------------------------------------------------------------- medtutor stroke


def _writable_model_path(out: str) -> Path:
    """Refuse an output path that cannot take a .keras model, before any training time is spent."""
    import os
    import tempfile

    target = Path(out).expanduser()
    if target.suffix != ".keras":
        raise ValueError(f"--out {out}: the model file must end in .keras, e.g. stroke_unet.keras.")
    if target.is_dir():
        raise ValueError(f"--out {out} is a folder: give a file name inside it, e.g. {target / 'stroke_unet.keras'}.")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"--out {out}: folder {parent} does not exist; create it first (mkdir -p {parent}).")
    try:  # a real probe file: permission bits alone say nothing for root or on read-only mounts
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".medtutor-probe-", suffix=".keras"):
            pass
    except OSError as err:
        raise ValueError(
            f"--out {out}: cannot write in {parent} ({err.strerror}); choose a folder you can write to."
        ) from err
    if target.exists() and not os.access(target, os.W_OK):
        raise ValueError(f"--out {out} exists and is read-only; remove it or choose another name.")
    return target


def _cmd_stroke_train(args: argparse.Namespace) -> int:
    try:
        target = _writable_model_path(args.out)
        if args.subjects < 4 or args.epochs < 1:
            raise ValueError("--subjects must be >= 4 and --epochs >= 1.")
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    import medtutor
    from medtutor import mri

    medtutor.setup(seed=args.seed, keras=True, quiet=True)  # one TensorFlow thread: the same model everywhere
    print(f"training the stroke U-Net on {args.subjects} simulated subjects, {args.epochs} epochs, seed {args.seed}")
    model, val_dice = mri.train_stroke_unet(args.subjects, args.epochs, seed=args.seed)
    tmp = target.with_name(f".{target.stem}.tmp.keras")
    model.save(tmp)
    tmp.replace(target)  # atomic: a half-written model never sits at --out
    print(f"wrote {target}")
    print(f"validation Dice (simulated lesion slices)={val_dice:.3f}")
    return 0


def _evaluate_subject(model: object, root: Path, subject: str, brain: object, out: Path | None) -> tuple[float, float]:
    """lesion_ml and Dice (nan without a mask) of one subject; writes the predicted mask when ``out`` is set."""
    import nibabel as nib
    import numpy as np

    from medtutor import mri

    case = mri.load_stroke_case(root, subject)
    reg = mri.register_to_mni(case.dwi, brain)
    prob = mri.predict_lesion_volume(model, reg.to_mni(case.array("dwi")))
    pred = (reg.to_native((prob >= 0.5).astype(np.float32)) >= 0.5).astype(np.uint8)
    if out is not None:
        nib.save(nib.Nifti1Image(pred, case.dwi.affine), out / f"{subject}_pred_msk.nii.gz")
    dice = mri.dice_score(pred, case.array("mask")) if case.mask is not None else float("nan")
    return float(pred.sum()) * case.voxel_ml, dice


def _cmd_stroke_evaluate(args: argparse.Namespace) -> int:
    import math

    from medtutor import mri

    try:
        model_path = Path(args.model)
        if not model_path.is_file() or model_path.suffix != ".keras":
            raise ValueError(f"--model {args.model} is not a .keras file: train one with `medtutor stroke train`.")
        root = Path(args.data)
        subjects = mri.stroke_subjects(root)
        if args.subject is not None:
            if args.subject not in subjects:
                raise KeyError(f"unknown subject {args.subject!r} in {root}: choose one of {', '.join(subjects)}.")
            subjects = [args.subject]
        for sub in subjects:  # every input is checked before the (slow) registrations start
            mri.load_stroke_case(root, sub)
        out = Path(args.out) if args.out else None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
    except (FileNotFoundError, ValueError, KeyError, OSError) as err:
        print(err.args[0] if isinstance(err, KeyError) else err, file=sys.stderr)
        return 2
    import keras

    model = keras.models.load_model(model_path, compile=False)  # safe_mode stays on: no arbitrary code
    brain = mri.load_brain(2)
    dices = []
    for sub in subjects:
        lesion_ml, dice = _evaluate_subject(model, root, sub, brain, out)
        text = f"{sub} lesion_ml={lesion_ml:.2f}"
        if not math.isnan(dice):
            dices.append(dice)
            text += f" Dice={dice:.3f}"
        print(text)
    if out is not None:
        print(f"predicted masks written to {out}")
    print(f"Dice={sum(dices) / len(dices):.3f}" if dices else "Dice=nan (no subject has a mask)")
    return 0


def _add_stroke_parser(sub: argparse._SubParsersAction) -> None:
    """The ``medtutor stroke`` group: train on simulated lesions, evaluate on an ISLES'22/BIDS folder."""
    ssub = _group(sub, "stroke", "stroke-lesion U-Net (notebook 12): train on simulated, evaluate on real")
    p = _command(ssub, "train", "train the U-Net on simulated lesions (MNI152 anatomy), seeded, CPU", _cmd_stroke_train)
    p.add_argument("--out", required=True, help="where to write the model (.keras)")
    p.add_argument("--subjects", type=int, default=120, help="simulated subjects (default 120)")
    p.add_argument("--epochs", type=int, default=15, help="training epochs (default 15)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p = _command(ssub, "evaluate", "lesion volume and Dice on an ISLES'22/BIDS folder", _cmd_stroke_evaluate)
    p.add_argument("--model", required=True, help="a model written by `medtutor stroke train`")
    p.add_argument("--data", required=True, help="ROOT holding rawdata/<sub>/ses-*/ (and derivatives/ for masks)")
    p.add_argument("--subject", help="evaluate only this subject (default: every subject found)")
    p.add_argument("--out", help="write each predicted mask as <sub>_pred_msk.nii.gz into this folder")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``medtutor`` console script."""
    from medtutor._validate import EnvVarError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (OSError, EnvVarError) as err:  # the environment (a path, a permission, a variable): one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
