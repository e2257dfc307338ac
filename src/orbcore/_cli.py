"""The ``orbcore`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from orbcore._demo import run_demo
from orbcore._errors import OrbcoreError
from orbcore._version import __version__
from orbcore.storage import DEFAULT_URL, open_store

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orbcore", description="orbcore: an embeddable usage-based billing engine."
    )
    parser.add_argument("--version", action="version", version=f"orbcore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="show exact money, the billing calendar and a billing run at work"
    )
    demo.add_argument(
        "--locale", default="de_DE", help="locale to format amounts in (default: de_DE)"
    )
    demo.add_argument(
        "--database", default=DEFAULT_URL, help=f"where to store (default: {DEFAULT_URL})"
    )
    migrate = commands.add_parser("migrate", help="create or upgrade a database's schema")
    migrate.add_argument(
        "--database",
        default=DEFAULT_URL,
        help=f"database URL (default: {DEFAULT_URL})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            print(run_demo(locale=args.locale, database=args.database))
        elif args.command == "migrate":
            store = open_store(args.database, migrate=True)
            print(f"{store.url}: schema is up to date")
            store.close()
    except OrbcoreError as exc:
        print(f"orbcore: error: {exc}", file=sys.stderr)
        return 2
    return 0
