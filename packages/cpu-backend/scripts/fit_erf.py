"""Fits the polynomial behind mw_erff (src/cpu-math.ts): erf(x) = x * P(x^2/8 - 1) on [0, 4].

Chebyshev-basis least squares in t = x^2/8 - 1, reweighted (Lawson) towards the minimax error
of x * P, then converted to monomials in t and rounded to float32. Prints the coefficients from
the highest degree down (Horner order) and the float32 errors measured over [0, 8].
Run: python3 packages/cpu-backend/scripts/fit_erf.py   (needs numpy)
"""
from math import erf

import numpy as np
from numpy.polynomial import chebyshev as cheb

DEGREE, CLAMP, NODES = 16, 4.0, 8000

x = np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES) * CLAMP / 2 + CLAMP / 2
t = x * x / (CLAMP * CLAMP / 2) - 1
y = np.array([erf(v) for v in x]) / x
w = np.ones(NODES)
for _ in range(80):
    c = cheb.chebfit(t, y, DEGREE, w=w)
    e = np.abs((cheb.chebval(t, c) - y) * x)
    w = w * np.sqrt(e / e.max() + 1e-6)
    w /= w.max()
coef = cheb.cheb2poly(c).astype(np.float32)

# Evaluate exactly as the C code does, in float32.
xs = np.linspace(0, 8, 400001).astype(np.float32)
xc = np.minimum(xs, np.float32(CLAMP))
ts = (xc * xc * np.float32(2 / CLAMP**2) - np.float32(1)).astype(np.float32)
p = np.full_like(xs, coef[-1])
for k in range(DEGREE - 1, -1, -1):
    p = (p * ts + coef[k]).astype(np.float32)
got = np.minimum(p * xc, np.float32(1)).astype(np.float64)
want = np.array([erf(v) for v in xs.astype(np.float64)])
print("coefficients, t^%d first:" % DEGREE)
print(", ".join("%.9ef" % v for v in coef[::-1]))
print("max abs error %.2e, max relative error on (0, 0.1] %.2e" % (
    np.abs(got - want).max(), np.abs(got[1:5001] / want[1:5001] - 1).max()))
