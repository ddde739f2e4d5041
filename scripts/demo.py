"""`make demo`: the Community Credits story with real proofs (see circuits/app/demo.py)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from circuits.app.demo import main  # noqa: E402

if __name__ == "__main__":
    main()
