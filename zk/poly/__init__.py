"""Polynomials over Fr: radix-2 NTT / inverse NTT / coset NTT and domain polynomials (Lagrange, Z)."""
from .ntt import (
    MULTIPLICATIVE_GENERATOR,
    ROOT_OF_UNITY_2_28,
    TWO_ADICITY,
    Domain,
    DomainError,
    coset_intt,
    coset_ntt,
    domain,
    intt,
    lagrange_evaluations,
    ntt,
    root_of_unity,
    vanishing_eval,
)

__all__ = [
    "MULTIPLICATIVE_GENERATOR",
    "ROOT_OF_UNITY_2_28",
    "TWO_ADICITY",
    "Domain",
    "DomainError",
    "coset_intt",
    "coset_ntt",
    "domain",
    "intt",
    "lagrange_evaluations",
    "ntt",
    "root_of_unity",
    "vanishing_eval",
]
