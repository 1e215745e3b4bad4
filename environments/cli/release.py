"""`python -m environments release record|promote|notes`: the GitHub release path to prod (record staging's
manifest, promote a tag, release notes; docs/decisions/0012)."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments release", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="release_command", required=True)
    record = commands.add_parser("record", help="keep staging's manifest as the note of its commit")
    record.add_argument("manifest", type=Path, help="build/staging/release.json")
    promote = commands.add_parser("promote", help="the manifest staging recorded for a tag's commit")
    promote.add_argument("tag", help="vX.Y.Z")
    promote.add_argument("--out", type=Path, required=True, help="where to write it (deploy prod --release)")
    notes = commands.add_parser("notes", help="release notes against the previous release tag")
    notes.add_argument("tag", help="vX.Y.Z")
    notes.add_argument("--release", type=Path, required=True, help="the release manifest prod deploys")
    notes.add_argument("--out", type=Path, required=True, help="where to write the notes (markdown)")
    notes.add_argument(
        "--attach", action="store_true", help="set them as the GitHub release's notes (gh CLI)"
    )
    for sub in (record, promote, notes):
        sub.add_argument("--remote", default="origin", help="the git remote holding the records")
    args = parser.parse_args(argv)
    from environments.deploy import release_command
    from environments.render import REPO_ROOT

    if args.release_command == "record":
        return release_command.record(REPO_ROOT, args.manifest, args.remote)
    if args.release_command == "promote":
        return release_command.promote(REPO_ROOT, args.tag, args.out, args.remote)
    return release_command.notes(REPO_ROOT, args.tag, args.release, args.out, args.remote, args.attach)
