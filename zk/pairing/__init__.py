"""The optimal ate pairing on BN254: e: G1 x G2 -> GT (a subgroup of Fp12*), in numba.

- :func:`pairing`, :func:`multi_pairing`, :func:`pairing_check`: validated Python entry points.
- :func:`pairing_check_arrays`: the verifier's path, prepared affine arrays in, bool out.
- :class:`Fp12`: pairing values, with ``==``, ``*``, ``**`` and the map to py_ecc's FQ12.
- Internals: :mod:`.tower` (Fp6/Fp12 in numba), :mod:`.miller`, :mod:`.final_exp`, :mod:`.kernels`.

Values equal py_ecc's ``pairing(Q, P)`` exactly (same final exponent (p^12 - 1) / r), after
:meth:`Fp12.py_ecc_coeffs` maps our tower basis to py_ecc's Fp[W]/(W^12 - 18 W^6 + 82).
"""
from zk._lazy import lazy_attributes

# Loaded on first use (PEP 562): the verifier imports zk.pairing.kernels only, and the Python API
# and Fp12 modules would create their dispatchers in every `zk verify`.
_HOMES = {name: "api" for name in ("PairingInputError", "final_exponentiation", "g1_affine_ints", "g2_affine_ints",
                                   "miller_loop", "multi_pairing", "pairing", "pairing_check", "prepare_pairs")}
_HOMES.update({"Fp12": "fp12", "pairing_check_arrays": "kernels"})
__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)

__all__ = [
    "Fp12",
    "PairingInputError",
    "final_exponentiation",
    "g1_affine_ints",
    "g2_affine_ints",
    "miller_loop",
    "multi_pairing",
    "pairing",
    "pairing_check",
    "pairing_check_arrays",
    "prepare_pairs",
]
