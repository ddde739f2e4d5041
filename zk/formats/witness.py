"""A full witness from a file, in either form snarkjs users have: circom's binary ``.wtns`` (read
straight into checked limbs, :func:`zk.formats.circom.read_wtns_scalars`) or the JSON list of
decimal strings ``snarkjs wtns export json`` writes."""
from __future__ import annotations

from zk.msm.scalars import Scalars


def read_witness(path: str) -> Scalars | list[int]:
    """``path`` ending in .json: the JSON list (SnarkjsFormatError naming the bad witness value);
    anything else: a .wtns file (CircomFormatError)."""
    if str(path).endswith(".json"):
        from zk.formats.snarkjs import SnarkjsFormatError, public_from_json, read_json

        try:
            return public_from_json(read_json(path, "witness"))
        except SnarkjsFormatError as exc:
            raise SnarkjsFormatError(str(exc).replace("public signal", "witness value")) from None
    from zk.formats.circom import read_wtns_scalars

    return read_wtns_scalars(path)
