"""`python -m environments schemas refresh [--from PATH]`: the ARM schema files vendored in environments/arm/schemas/.

`refresh` re-vendors exactly the schema files the rendered templates of every environment use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments schemas", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    refresh_command = commands.add_parser(
        "refresh", help="re-vendor exactly the schema files the rendered templates of every environment use"
    )
    refresh_command.add_argument(
        "--from", dest="source", help="a copy of upstream schemas/ (default: $STREAMSCORE_ARM_SCHEMAS)"
    )
    args = parser.parse_args(argv)
    from environments.arm.schema_store import ENV_VAR, VENDORED
    from environments.arm.schema_vendor import default_source, refresh

    source = Path(args.source) if args.source else default_source()
    if source is None:
        print(
            f"schemas refresh: give --from <a checkout's schemas/ folder of "
            f"Azure/azure-resource-manager-schemas> or set ${ENV_VAR}",
            file=sys.stderr,
        )
        return 2
    vendored = refresh(source)
    print(f"{len(vendored)} schema files from {source} vendored into {VENDORED}")
    return 0
