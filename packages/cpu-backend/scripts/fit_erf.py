"""Fits the rational function behind mw_erff (src/cpu-math.ts): erf(x) = x * P(x^2) / Q(x^2)
on [0, 4], P and Q of degree 5, Q(0) = 1.

Linearised least squares (P(z) - f(z) Q(z) ~ 0 with f = erf(x)/x, z = x^2), reweighted by 1/Q
of the previous round (Loeb's method) and towards the minimax error of x * P / Q (Lawson), on
Chebyshev nodes. Prints the float32 coefficients from the highest degree down (Horner order)
and the float32 errors of an evaluation without FMA over [0, 8] (the generated code contracts
to FMA and does a little better; src/math.test.ts checks it).
Run: python3 packages/cpu-backend/scripts/fit_erf.py   (needs numpy)
"""
from math import erf

import numpy as np

DP, DQ, CLAMP, NODES = 5, 5, 4.0, 6000

x = np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES) * CLAMP / 2 + CLAMP / 2
z = x * x
f = np.array([erf(v) for v in x]) / x
q = np.ones(NODES)
w = np.ones(NODES)
for _ in range(40):
    a = np.hstack([np.stack([z**k for k in range(DP + 1)], 1), -np.stack([f * z**k for k in range(1, DQ + 1)], 1)])
    sol, *_ = np.linalg.lstsq(a * (w / q)[:, None], f * (w / q), rcond=None)
    p_coef, q_coef = sol[: DP + 1], np.concatenate([[1.0], sol[DP + 1 :]])
    q = np.polyval(q_coef[::-1], z)
    e = np.abs((np.polyval(p_coef[::-1], z) / q - f) * x)
    w = w * np.sqrt(e / e.max() + 1e-4)
    w /= w.max()
p32, q32 = p_coef.astype(np.float32), q_coef.astype(np.float32)

# Evaluate as the C code does, in float32 (separate multiply and add).
xs = np.linspace(0, 8, 400001).astype(np.float32)
xc = np.minimum(xs, np.float32(CLAMP))
zs = (xc * xc).astype(np.float32)
pv = np.full_like(zs, p32[-1])
for k in range(DP - 1, -1, -1):
    pv = (pv * zs + p32[k]).astype(np.float32)
qv = np.full_like(zs, q32[-1])
for k in range(DQ - 1, -1, -1):
    qv = (qv * zs + q32[k]).astype(np.float32)
got = np.minimum((xc * pv / qv).astype(np.float32), np.float32(1)).astype(np.float64)
want = np.array([erf(v) for v in xs.astype(np.float64)])
print("P, z^%d first: %s" % (DP, ", ".join("%.9ef" % v for v in p32[::-1])))
print("Q, z^%d first: %s" % (DQ, ", ".join("%.9ef" % v for v in q32[::-1])))
print("max abs error %.2e, max relative error on (0, 0.5) %.2e" % (
    np.abs(got - want).max(), np.abs(got[1:25001] / want[1:25001] - 1).max()))
