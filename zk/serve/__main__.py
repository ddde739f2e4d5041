"""``python -m zk.serve SOCKET [KEY.pk ...]``: the prover daemon without the CLI."""
from __future__ import annotations

import sys

from .server import ServeError, serve


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m zk.serve SOCKET [KEY.pk ...]", file=sys.stderr)
        return 2
    try:
        serve(argv[0], tuple(argv[1:]))
    except ServeError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
