// Branch-free f32 exp, erf and tanh for generated C++: inline, so `#pragma omp simd` loops
// vectorise them (libm's expf/erff/tanhf are scalar calls without -ffast-math). exp and tanh are
// within a few ulp over the whole range (inf, NaN and underflow as in libm); erf is within 2e-7.

import { CPP_DIALECT, type CDialect } from "@max-whisper/graph/plan";

export const CPU_DIALECT: CDialect = {
  ...CPP_DIALECT,
  math: { ...CPP_DIALECT.math, exp: "mw_expf", erf: "mw_erff", tanh: "mw_tanhf" },
};

export const CPU_MATH_PRELUDE = `
static inline float mw_expf(float x) {
  // e^x = 2^n · e^r, n = round(x·log2 e), |r| <= ln2/2; degree-7 Taylor on r (error < 1e-8).
  // The clamps pass NaN through (it then poisons the product). 2^n is applied as two factors
  // so that overflow (to inf, above ln(FLT_MAX)) and underflow (through the subnormals to 0,
  // below -103.97) come out of the final multiply correctly rounded, without selects.
  const float xc = x < -104.0f ? -104.0f : (x > 88.8f ? 88.8f : x);
  const float n = (xc * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.98412698e-4f;
  p = p * r + 1.38888889e-3f; p = p * r + 8.33333333e-3f; p = p * r + 4.16666667e-2f;
  p = p * r + 1.66666667e-1f; p = p * r + 0.5f; p = p * r + 1.0f; p = p * r + 1.0f;
  const int32_t ni = (int32_t)n, n1 = ni >> 1, n2 = ni - n1;  // both in [-75, 64]
  const float s1 = mw_bits_to_float((uint32_t)(n1 + 127) << 23), s2 = mw_bits_to_float((uint32_t)(n2 + 127) << 23);
  return p * s1 * s2;
}
static inline float mw_erff(float x) {
  // erf(x) = x·P(x²/8 - 1) for |x| <= 4, P of degree 16 (fitted for this project by
  // packages/cpu-backend/scripts/fit_erf.py): absolute error < 2e-7 on the whole line,
  // relative error < 3e-7 near 0; beyond 4, erf rounds to ±1. NaN passes the clamps.
  const float a = fabsf(x);
  const float ac = a > 4.0f ? 4.0f : a;
  const float t = ac * ac * 0.125f - 1.0f;
  float p = 4.934948520e-04f;
  p = p * t - 1.321242657e-03f; p = p * t + 1.002539066e-03f; p = p * t - 1.257446478e-03f;
  p = p * t + 4.992148839e-03f; p = p * t - 9.834492579e-03f; p = p * t + 1.436785422e-02f;
  p = p * t - 2.183980681e-02f; p = p * t + 3.301814198e-02f; p = p * t - 4.594784603e-02f;
  p = p * t + 5.990238115e-02f; p = p * t - 7.470022142e-02f; p = p * t + 9.020677209e-02f;
  p = p * t - 1.077123061e-01f; p = p * t + 1.316752285e-01f; p = p * t - 1.765761971e-01f;
  p = p * t + 3.535310030e-01f;
  const float y = ac * p;
  return copysignf(y > 1.0f ? 1.0f : y, x);
}
static inline float mw_tanhf(float x) {
  const float a = x < 0 ? -x : x;
  // Small |x|: odd Taylor series (relative error < 1e-8 below 0.3125); else 1 - 2/(e^2a + 1).
  const float z = x * x;
  float s = -1382.0f / 155925.0f;
  s = s * z + 62.0f / 2835.0f; s = s * z - 17.0f / 315.0f; s = s * z + 2.0f / 15.0f; s = s * z - 1.0f / 3.0f;
  const float small = x + x * z * s;
  const float e = mw_expf(2.0f * (a > 20.0f ? 20.0f : a));
  const float t = 1.0f - 2.0f / (e + 1.0f);
  const float big = x < 0 ? -t : t;
  return x != x ? x : (a < 0.3125f ? small : big);
}
`;
