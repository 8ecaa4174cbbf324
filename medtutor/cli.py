"""The ``medtutor`` command: data management, an environment doctor, student builds, the heart pipeline.

medtutor data list | fetch [NAME...] [--dest DIR] | verify [--dir DIR] | where
medtutor doctor
medtutor student SRC_DIR -o OUT_DIR
medtutor heart train --data DIR [--sites a b c d] --out MODEL.keras
medtutor heart evaluate --model MODEL.keras --folder FOLDER
medtutor stroke train --out MODEL.keras [--subjects N] [--epochs E] [--seed S]
medtutor stroke evaluate --model MODEL.keras --data ROOT [--subject SUB] [--out DIR]
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
    _add_stroke_parser(sub)
    return parser


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
    p_stroke = sub.add_parser("stroke", help="stroke-lesion U-Net (notebook 10): train on simulated, evaluate on real")
    ssub = p_stroke.add_subparsers(dest="action", required=True)
    p = ssub.add_parser("train", help="train the U-Net on simulated lesions (MNI152 anatomy), seeded, CPU")
    p.add_argument("--out", required=True, help="where to write the model (.keras)")
    p.add_argument("--subjects", type=int, default=120, help="simulated subjects (default 120)")
    p.add_argument("--epochs", type=int, default=15, help="training epochs (default 15)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.set_defaults(func=_cmd_stroke_train)
    p = ssub.add_parser("evaluate", help="lesion volume and Dice on an ISLES'22/BIDS folder")
    p.add_argument("--model", required=True, help="a model written by `medtutor stroke train`")
    p.add_argument("--data", required=True, help="ROOT holding rawdata/<sub>/ses-*/ (and derivatives/ for masks)")
    p.add_argument("--subject", help="evaluate only this subject (default: every subject found)")
    p.add_argument("--out", help="write each predicted mask as <sub>_pred_msk.nii.gz into this folder")
    p.set_defaults(func=_cmd_stroke_evaluate)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``medtutor`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
