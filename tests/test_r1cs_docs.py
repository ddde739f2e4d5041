"""The example in docs/r1cs.md runs as written and its stated numbers hold."""
import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "r1cs.md"


def test_readme_example_runs():
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 13
    namespace: dict = {}
    exec(compile(code, "docs/r1cs.md", "exec"), namespace)
    cs, witness = namespace["cs"], namespace["witness"]
    assert cs.n_constraints == 277
    assert witness[2] == 42
