// Branch-free f32 exp, erf and tanh for generated C++: inline, so `#pragma omp simd` loops
// vectorise them (libm's expf/erff/tanhf are scalar calls without -ffast-math). Accuracy is a
// few ulp over the whole range, with inf/NaN/underflow handled like libm.

import { CPP_DIALECT, type CDialect } from "@max-whisper/graph/plan";

export const CPU_DIALECT: CDialect = {
  ...CPP_DIALECT,
  math: { ...CPP_DIALECT.math, exp: "mw_expf", erf: "mw_erff", tanh: "mw_tanhf" },
};

export const CPU_MATH_PRELUDE = `
static inline float mw_expf(float x) {
  // e^x = 2^n · e^r, n = round(x·log2 e), |r| <= ln2/2; degree-7 Taylor on r (error < 1e-8).
  const float xc = x < -103.97f ? -103.97f : (x > 88.73f ? 88.73f : x);
  const float n = (xc * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.98412698e-4f;
  p = p * r + 1.38888889e-3f; p = p * r + 8.33333333e-3f; p = p * r + 4.16666667e-2f;
  p = p * r + 1.66666667e-1f; p = p * r + 0.5f; p = p * r + 1.0f; p = p * r + 1.0f;
  // 2^n in two factors so results down in the subnormal range stay exact.
  const int32_t ni = (int32_t)n, n1 = ni / 2, n2 = ni - n1;
  const float s1 = mw_bits_to_float((uint32_t)(n1 + 127) << 23), s2 = mw_bits_to_float((uint32_t)(n2 + 127) << 23);
  const float y = p * s1 * s2;
  return x != x ? x : (x > 88.73f ? INFINITY : (x < -103.97f ? 0.0f : y));
}
static inline float mw_erff(float x) {
  const float a = x < 0 ? -x : x;
  // |x| < 0.5: the Maclaurin series of erf (relative error < 2e-8).
  const float z = x * x;
  float s = -1.0f / 1320.0f;
  s = s * z + 1.0f / 216.0f; s = s * z - 1.0f / 42.0f; s = s * z + 0.1f; s = s * z - 1.0f / 3.0f; s = s * z + 1.0f;
  const float small = 1.12837917f * x * s;
  // Otherwise erfc by the Chebyshev fit of Numerical Recipes (fractional error < 1.2e-7).
  const float t = 1.0f / (1.0f + 0.5f * a);
  float q = 0.17087277f;
  q = q * t - 0.82215223f; q = q * t + 1.48851587f; q = q * t - 1.13520398f; q = q * t + 0.27886807f;
  q = q * t - 0.18628806f; q = q * t + 0.09678418f; q = q * t + 0.37409196f; q = q * t + 1.00002368f;
  q = q * t - 1.26551223f;
  const float erfc = t * mw_expf(-a * a + q);
  const float big = x < 0 ? erfc - 1.0f : 1.0f - erfc;
  return x != x ? x : (a < 0.5f ? small : big);
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
