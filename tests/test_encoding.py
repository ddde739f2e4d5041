"""Point encodings (zk.curve.encoding): round trips, known vectors, and one test per bad input."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from zk.curve import CurveError, G1Point, G2Point, PointEncodingError, from_py_ecc
from zk.curve import encoding as E
from zk.formats import snarkjs as snarkjs_json
from zk.field import P, R, Fp, Fp2

rng = random.Random(99)
G1_GEN = G1Point.generator()
G2_GEN = G2Point.generator()


def random_g1():
    return from_py_ecc(bn.multiply(bn.G1, rng.randrange(1, R)))


def random_g2():
    return from_py_ecc(bn.multiply(bn.G2, rng.randrange(1, R)))


def twist_point_outside_g2() -> G2Point:
    """A random twist point (hash-and-sqrt): on the curve, almost surely not in G2."""
    while True:
        x = Fp2(rng.randrange(P), rng.randrange(P))
        y = (x * x * x + G2Point.b).sqrt()
        if y is not None:
            point = G2Point(x, y, check=False)
            assert point.is_on_curve() and not point.is_in_subgroup_slow()
            return point


def g1_with_y_parity(largest: bool) -> G1Point:
    while True:
        p = random_g1()
        if (p.y.value > (P - 1) // 2) == largest:
            return p


def g2_with_y_parity(largest: bool) -> G2Point:
    while True:
        p = random_g2()
        if E._fp2_is_largest(p.y) == largest:
            return p


def set_bytes(data: bytes, offset: int, chunk: bytes) -> bytes:
    return data[:offset] + chunk + data[offset + len(chunk) :]


P_BYTES = P.to_bytes(32, "big")

# ---------------------------------------------------------------------------------------------
# Known vectors


def test_generators_uncompressed_match_ethereum_layout():
    assert E.g1_to_bytes(G1_GEN) == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
    x, y = bn.normalize(bn.G2)
    expected = b"".join(int(v).to_bytes(32, "big") for v in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))
    assert E.g2_to_bytes(G2_GEN) == expected
    # The EIP-197 test vectors start with the generator's x imaginary part.
    assert expected.hex().startswith("198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2")


def test_infinity_encodings():
    assert E.g1_to_bytes(G1Point.infinity()) == bytes(64)
    assert E.g2_to_bytes(G2Point.infinity()) == bytes(128)
    assert E.g1_to_compressed(G1Point.infinity()) == b"\x40" + bytes(31)
    assert E.g2_to_compressed(G2Point.infinity()) == b"\x40" + bytes(63)
    assert snarkjs_json.g1_to_snarkjs(G1Point.infinity()) == ["0", "1", "0"]
    assert snarkjs_json.g2_to_snarkjs(G2Point.infinity()) == [["0", "0"], ["1", "0"], ["0", "0"]]
    assert E.g1_from_bytes(bytes(64)).is_infinity()
    assert E.g2_from_bytes(bytes(128)).is_infinity()
    assert E.g1_from_compressed(b"\x40" + bytes(31)).is_infinity()
    assert E.g2_from_compressed(b"\x40" + bytes(63)).is_infinity()
    assert snarkjs_json.g1_from_snarkjs(["0", "1", "0"]).is_infinity()
    assert snarkjs_json.g2_from_snarkjs([["0", "0"], ["1", "0"], ["0", "0"]]).is_infinity()


def test_compressed_generator_and_flags():
    # y = 2 is the smaller root for x = 1.
    assert E.g1_to_compressed(G1_GEN) == bytes([0x80]) + (1).to_bytes(31, "big")
    assert E.g1_to_compressed(-G1_GEN) == bytes([0xC0]) + (1).to_bytes(31, "big")
    for largest in (False, True):
        assert E.g1_to_compressed(g1_with_y_parity(largest))[0] >> 6 == (0b11 if largest else 0b10)
        assert E.g2_to_compressed(g2_with_y_parity(largest))[0] >> 6 == (0b11 if largest else 0b10)


def test_snarkjs_generator():
    assert snarkjs_json.g1_to_snarkjs(G1_GEN) == ["1", "2", "1"]
    (x0, x1), (y0, y1) = ([int(c) for c in v.coeffs] for v in bn.normalize(bn.G2))
    assert snarkjs_json.g2_to_snarkjs(G2_GEN) == [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


# ---------------------------------------------------------------------------------------------
# Round trips

G1_CODECS = [(E.g1_to_bytes, E.g1_from_bytes), (E.g1_to_compressed, E.g1_from_compressed), (snarkjs_json.g1_to_snarkjs, snarkjs_json.g1_from_snarkjs)]
G2_CODECS = [(E.g2_to_bytes, E.g2_from_bytes), (E.g2_to_compressed, E.g2_from_compressed), (snarkjs_json.g2_to_snarkjs, snarkjs_json.g2_from_snarkjs)]
CODEC_IDS = ["uncompressed", "compressed", "snarkjs"]


@pytest.mark.parametrize("encode,decode", G1_CODECS, ids=CODEC_IDS)
def test_g1_round_trip(encode, decode):
    points = [G1_GEN, -G1_GEN, G1Point.infinity(), g1_with_y_parity(True), g1_with_y_parity(False)]
    points += [random_g1() for _ in range(5)]
    for p in points:
        assert decode(encode(p)) == p


@pytest.mark.parametrize("encode,decode", G2_CODECS, ids=CODEC_IDS)
def test_g2_round_trip(encode, decode):
    points = [G2_GEN, -G2_GEN, G2Point.infinity(), g2_with_y_parity(True), g2_with_y_parity(False)]
    points += [random_g2() for _ in range(3)]
    for p in points:
        assert decode(encode(p)) == p


def test_g2_compressed_sign_when_y_c1_is_zero():
    """The Fp2 'largest' rule falls back to c0 when c1 == 0; exercise that branch directly."""
    y = Fp2(5, 0)
    assert E._fp2_is_largest(y) is False
    assert E._fp2_is_largest(-y) is True
    assert E._fp2_is_largest(Fp2(5, P - 1)) is True


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=R - 1))
def test_g1_round_trips_property(k):
    p = G1_GEN * k
    for encode, decode in G1_CODECS:
        assert decode(encode(p)) == p


@settings(max_examples=5, deadline=None)
@given(st.integers(min_value=0, max_value=R - 1))
def test_g2_round_trips_property(k):
    p = G2_GEN * k
    for encode, decode in G2_CODECS:
        assert decode(encode(p)) == p


def test_methods_and_errors_are_value_errors():
    assert issubclass(PointEncodingError, CurveError) and issubclass(CurveError, ValueError)


# ---------------------------------------------------------------------------------------------
# Rejections: uncompressed


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_g1_uncompressed_rejects_wrong_length(length):
    with pytest.raises(PointEncodingError, match="64 bytes"):
        E.g1_from_bytes(bytes(length))


@pytest.mark.parametrize("length", [0, 64, 127, 129])
def test_g2_uncompressed_rejects_wrong_length(length):
    with pytest.raises(PointEncodingError, match="128 bytes"):
        E.g2_from_bytes(bytes(length))


def test_rejects_non_bytes():
    with pytest.raises(PointEncodingError, match="must be bytes"):
        E.g1_from_bytes("00" * 64)


@pytest.mark.parametrize("offset", [0, 32])
def test_g1_uncompressed_rejects_non_canonical_coordinate(offset):
    good = E.g1_to_bytes(G1_GEN)
    with pytest.raises(PointEncodingError, match="not a canonical"):
        E.g1_from_bytes(set_bytes(good, offset, P_BYTES))


def test_g1_uncompressed_rejects_coordinate_plus_p():
    """x + p encodes the same residue as x: accepting it would make encodings malleable."""
    good = E.g1_to_bytes(G1_GEN)
    with pytest.raises(PointEncodingError, match="not a canonical"):
        E.g1_from_bytes(set_bytes(good, 0, (1 + P).to_bytes(32, "big")))


def test_g1_uncompressed_rejects_off_curve():
    with pytest.raises(CurveError, match="not on the G1 curve"):
        E.g1_from_bytes((1).to_bytes(32, "big") + (3).to_bytes(32, "big"))


def test_g1_uncompressed_rejects_zero_x_nonzero_y():
    with pytest.raises(CurveError, match="not on the G1 curve"):
        E.g1_from_bytes(bytes(32) + (1).to_bytes(32, "big"))


@pytest.mark.parametrize("offset", [0, 32, 64, 96])
def test_g2_uncompressed_rejects_non_canonical_coordinate(offset):
    good = E.g2_to_bytes(G2_GEN)
    with pytest.raises(PointEncodingError, match="not a canonical"):
        E.g2_from_bytes(set_bytes(good, offset, P_BYTES))


def test_g2_uncompressed_rejects_off_curve():
    good = bytearray(E.g2_to_bytes(G2_GEN))
    good[-1] ^= 1
    with pytest.raises(CurveError, match="not on the twist"):
        E.g2_from_bytes(bytes(good))


def test_g2_uncompressed_rejects_swapped_coefficient_order():
    """c0 || c1 (instead of the precompiles' c1 || c0) does not decode to the generator."""
    x, y = G2_GEN.x, G2_GEN.y
    swapped = b"".join(v.value.to_bytes(32, "big") for v in (x.c0, x.c1, y.c0, y.c1))
    with pytest.raises(CurveError):
        E.g2_from_bytes(swapped)


def test_g2_uncompressed_rejects_point_outside_subgroup():
    bad = twist_point_outside_g2()
    with pytest.raises(CurveError, match="not in the order-r subgroup"):
        E.g2_from_bytes(E.g2_to_bytes(bad))


# ---------------------------------------------------------------------------------------------
# Rejections: compressed


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_g1_compressed_rejects_wrong_length(length):
    with pytest.raises(PointEncodingError, match="32 bytes"):
        E.g1_from_compressed(bytes(length))


@pytest.mark.parametrize("length", [32, 63, 65])
def test_g2_compressed_rejects_wrong_length(length):
    with pytest.raises(PointEncodingError, match="64 bytes"):
        E.g2_from_compressed(b"\x80" + bytes(length - 1))


def test_compressed_rejects_missing_flag():
    data = bytearray(E.g1_to_compressed(G1_GEN))
    data[0] &= 0x3F
    with pytest.raises(PointEncodingError, match="no compression flag"):
        E.g1_from_compressed(bytes(data))
    data = bytearray(E.g2_to_compressed(G2_GEN))
    data[0] &= 0x3F
    with pytest.raises(PointEncodingError, match="no compression flag"):
        E.g2_from_compressed(bytes(data))


def test_compressed_rejects_infinity_flag_with_payload():
    with pytest.raises(PointEncodingError, match="infinity flag"):
        E.g1_from_compressed(b"\x40" + (1).to_bytes(31, "big"))
    with pytest.raises(PointEncodingError, match="infinity flag"):
        E.g1_from_compressed(b"\x41" + bytes(31))
    with pytest.raises(PointEncodingError, match="infinity flag"):
        E.g2_from_compressed(b"\x40" + bytes(62) + b"\x01")


def test_g1_compressed_rejects_non_canonical_x():
    data = bytearray(P_BYTES)
    data[0] |= 0x80
    with pytest.raises(PointEncodingError, match="not a canonical"):
        E.g1_from_compressed(bytes(data))


@pytest.mark.parametrize("half", ["c1", "c0"])
def test_g2_compressed_rejects_non_canonical_x(half):
    good = E.g2_to_compressed(G2_GEN)
    flags = good[0] & 0xC0
    if half == "c1":
        body = bytearray(P_BYTES + good[32:])
    else:
        body = bytearray(bytes([good[0] & 0x3F]) + good[1:32] + P_BYTES)
    body[0] |= flags
    with pytest.raises(PointEncodingError, match="not a canonical"):
        E.g2_from_compressed(bytes(body))


def test_g1_compressed_rejects_x_without_point():
    x = next(v for v in range(1, 100) if Fp(v * v * v + 3).sqrt() is None)
    data = bytearray(x.to_bytes(32, "big"))
    data[0] |= 0x80
    with pytest.raises(CurveError, match="no point on the curve"):
        E.g1_from_compressed(bytes(data))


def test_g2_compressed_rejects_x_without_point():
    x = next(Fp2(v, 1) for v in range(1, 100) if (Fp2(v, 1) ** 3 + G2Point.b).sqrt() is None)
    data = bytearray(x.c1.value.to_bytes(32, "big") + x.c0.value.to_bytes(32, "big"))
    data[0] |= 0x80
    with pytest.raises(CurveError, match="no point on the twist"):
        E.g2_from_compressed(bytes(data))


def test_g2_compressed_rejects_point_outside_subgroup():
    bad = twist_point_outside_g2()
    with pytest.raises(CurveError, match="not in the order-r subgroup"):
        E.g2_from_compressed(E.g2_to_compressed(bad))


# ---------------------------------------------------------------------------------------------
# Rejections: snarkjs JSON


@pytest.mark.parametrize(
    "obj",
    [["1", "2"], ["1", "2", "1", "1"], "1,2,1", None, {"x": "1"}],
    ids=["short", "long", "string", "none", "dict"],
)
def test_g1_snarkjs_rejects_wrong_shape(obj):
    with pytest.raises(PointEncodingError, match="expected a list of 3"):
        snarkjs_json.g1_from_snarkjs(obj)


@pytest.mark.parametrize("text", ["0x1", "01", "-1", " 1", "1 ", "+1", "1_0", "1.0", "", "١"])
def test_snarkjs_rejects_non_canonical_decimal(text):
    with pytest.raises(PointEncodingError, match="canonical decimal"):
        snarkjs_json.g1_from_snarkjs([text, "2", "1"])


@pytest.mark.parametrize("value", [1.0, True, None, b"1"])
def test_snarkjs_rejects_non_string_values(value):
    with pytest.raises(PointEncodingError, match="decimal string"):
        snarkjs_json.g1_from_snarkjs([value, "2", "1"])


def test_snarkjs_accepts_python_ints():
    assert snarkjs_json.g1_from_snarkjs([1, 2, 1]) == G1_GEN


@pytest.mark.parametrize("value", [P, P + 1, 2**256])
def test_g1_snarkjs_rejects_non_canonical_coordinate(value):
    with pytest.raises(PointEncodingError, match="not a canonical field element"):
        snarkjs_json.g1_from_snarkjs([str(value), "2", "1"])


@pytest.mark.parametrize("z", ["2", str(P - 1)])
def test_g1_snarkjs_rejects_unnormalised_z(z):
    with pytest.raises(PointEncodingError, match="normalised"):
        snarkjs_json.g1_from_snarkjs(["1", "2", z])


@pytest.mark.parametrize("xy", [("1", "2"), ("0", "0"), ("1", "1")])
def test_g1_snarkjs_rejects_non_standard_infinity(xy):
    with pytest.raises(PointEncodingError, match="infinity"):
        snarkjs_json.g1_from_snarkjs([*xy, "0"])


def test_g1_snarkjs_rejects_off_curve():
    with pytest.raises(CurveError, match="not on the G1 curve"):
        snarkjs_json.g1_from_snarkjs(["1", "3", "1"])


def test_g2_snarkjs_rejects_wrong_shapes():
    good = snarkjs_json.g2_to_snarkjs(G2_GEN)
    with pytest.raises(PointEncodingError, match="list of 3"):
        snarkjs_json.g2_from_snarkjs(good[:2])
    with pytest.raises(PointEncodingError, match="snarkjs G2 x: expected a list of 2"):
        snarkjs_json.g2_from_snarkjs([good[0][:1], good[1], good[2]])
    with pytest.raises(PointEncodingError, match="snarkjs G2 y: expected a list of 2"):
        snarkjs_json.g2_from_snarkjs([good[0], good[1] + ["0"], good[2]])


def test_g2_snarkjs_rejects_non_canonical_coordinate():
    good = snarkjs_json.g2_to_snarkjs(G2_GEN)
    good[1][1] = str(P)
    with pytest.raises(PointEncodingError, match="G2 y.c1 is not a canonical"):
        snarkjs_json.g2_from_snarkjs(good)


@pytest.mark.parametrize("z", [["2", "0"], ["1", "1"], ["0", "1"]])
def test_g2_snarkjs_rejects_unnormalised_z(z):
    good = snarkjs_json.g2_to_snarkjs(G2_GEN)
    with pytest.raises(PointEncodingError, match="normalised"):
        snarkjs_json.g2_from_snarkjs([good[0], good[1], z])


def test_g2_snarkjs_rejects_non_standard_infinity():
    good = snarkjs_json.g2_to_snarkjs(G2_GEN)
    with pytest.raises(PointEncodingError, match="infinity"):
        snarkjs_json.g2_from_snarkjs([good[0], good[1], ["0", "0"]])


def test_g2_snarkjs_rejects_off_curve():
    good = snarkjs_json.g2_to_snarkjs(G2_GEN)
    good[1][0] = str((int(good[1][0]) + 1) % P)
    with pytest.raises(CurveError, match="not on the twist"):
        snarkjs_json.g2_from_snarkjs(good)


def test_g2_snarkjs_rejects_point_outside_subgroup():
    with pytest.raises(CurveError, match="not in the order-r subgroup"):
        snarkjs_json.g2_from_snarkjs(snarkjs_json.g2_to_snarkjs(twist_point_outside_g2()))


# ---------------------------------------------------------------------------------------------
# Real snarkjs output (fixtures written by snarkjs 0.7 for the Solidity exporter tests)

SNARKJS_FIXTURES = pytest.mark.skipif(
    not (Path(__file__).parent / "data" / "solidity" / "n4" / "verification_key.json").exists(),
    reason="snarkjs fixtures not present",
)


@SNARKJS_FIXTURES
def test_snarkjs_files_decode_and_re_encode_identically():
    import json

    base = Path(__file__).parent / "data" / "solidity" / "n4"
    vk = json.loads((base / "verification_key.json").read_text())
    proof = json.loads((base / "proof.json").read_text())
    for key in ("vk_alpha_1",):
        assert snarkjs_json.g1_to_snarkjs(snarkjs_json.g1_from_snarkjs(vk[key])) == vk[key]
    for key in ("vk_beta_2", "vk_gamma_2", "vk_delta_2"):
        assert snarkjs_json.g2_to_snarkjs(snarkjs_json.g2_from_snarkjs(vk[key])) == vk[key]
    for point in vk["IC"]:
        assert snarkjs_json.g1_to_snarkjs(snarkjs_json.g1_from_snarkjs(point)) == point
    assert snarkjs_json.g1_to_snarkjs(snarkjs_json.g1_from_snarkjs(proof["pi_a"])) == proof["pi_a"]
    assert snarkjs_json.g2_to_snarkjs(snarkjs_json.g2_from_snarkjs(proof["pi_b"])) == proof["pi_b"]
    assert snarkjs_json.g1_to_snarkjs(snarkjs_json.g1_from_snarkjs(proof["pi_c"])) == proof["pi_c"]
    # snarkjs's vk_gamma_2 is the G2 generator.
    assert snarkjs_json.g2_from_snarkjs(vk["vk_gamma_2"]) == G2_GEN
