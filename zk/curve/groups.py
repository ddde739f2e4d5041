"""G1 and G2 described once, for code that works on either group: the coordinate field, the
curve's b in the kernels' layout, the point type and its array conversions. Kernels that need
the curve equation take ``group.b`` as an argument, so a second curve brings its own groups
instead of a branch on the field type."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from zk.field import FP, FP2

from . import kernels
from .constants import B_G1, B_G2
from .points import G1Point, G2Point, g1_from_array, g1_to_array, g2_from_array, g2_to_array


@dataclass(frozen=True, eq=False)
class CurveGroup:
    name: str
    field: object  # the coordinate field's descriptor (FP or FP2)
    element_shape: tuple  # trailing shape of one coordinate in an array: (4,) or (2, 4)
    b: np.ndarray  # y^2 = x^3 + b, as a one-row Montgomery array for the kernels
    point_cls: type
    to_array: Callable
    from_array: Callable

    def first_off_curve(self, affine: np.ndarray) -> int:
        """Index of the first affine row not on the curve (infinity counts as on it), or -1. The
        one on-curve scan over arrays: key readers, the MSM's checks and file formats use it."""
        return kernels.first_off_curve(self.field, self.b, np.ascontiguousarray(affine))


G1 = CurveGroup("G1", FP, (4,), np.array([kernels.montgomery_limbs(B_G1.value)], dtype=np.uint64),
                G1Point, g1_to_array, g1_from_array)
G2 = CurveGroup("G2", FP2, (2, 4),
                np.array([[kernels.montgomery_limbs(B_G2.c0.value), kernels.montgomery_limbs(B_G2.c1.value)]],
                         dtype=np.uint64),
                G2Point, g2_to_array, g2_from_array)
