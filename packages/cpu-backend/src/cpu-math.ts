// Branch-free f32 exp, erf and tanh for generated C++: inline, so `#pragma omp simd` loops
// vectorise them (libm's expf/erff/tanhf are scalar calls without -ffast-math). exp and tanh are
// within a few ulp over the whole range (inf, NaN and underflow as in libm); erf is within 3e-7.

import { CPP_DIALECT, type CDialect } from "@max-whisper/graph/plan";

export const CPU_DIALECT: CDialect = {
  ...CPP_DIALECT,
  math: { ...CPP_DIALECT.math, exp: "mw_expf", erf: "mw_erff", tanh: "mw_tanhf" },
};

export const CPU_MATH_PRELUDE = `
#if defined(__AVX__)
#include <immintrin.h>
static inline void mw_stream_f32(float* dst, const float* src, int64_t n) {
  int64_t j = 0;
  for (; j < n && ((uintptr_t)(dst + j) & 31); ++j) dst[j] = src[j];
  for (; j + 8 <= n; j += 8) _mm256_stream_ps(dst + j, _mm256_loadu_ps(src + j));
  for (; j < n; ++j) dst[j] = src[j];
}
static inline void mw_sfence(void) { _mm_sfence(); }
#else
static inline void mw_stream_f32(float* dst, const float* src, int64_t n) { memcpy(dst, src, n * 4); }
static inline void mw_sfence(void) {}
#endif
static inline float mw_expf(float x) {
  // e^x = 2^n · e^r, n = round(x·log2 e), |r| <= ln2/2; degree-7 Taylor on r (error < 1e-8).
  // 2^n is applied as two factors so that overflow (to inf, above ln(FLT_MAX)) and underflow
  // (through the subnormals to 0, below -103.97) come out of the final multiply correctly
  // rounded. The input is not clamped: out of range, n is garbage that the two masks at the
  // end replace (inf above 88.8, +0 below -104), and NaN flows through the arithmetic. Two
  // separate one-sided selects vectorise to a compare and a blend or an and each; a nested
  // ternary or clamps on x cost GCC nine vector instructions (~12% of the whole function).
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.98412698e-4f;
  p = p * r + 1.38888889e-3f; p = p * r + 8.33333333e-3f; p = p * r + 4.16666667e-2f;
  p = p * r + 1.66666667e-1f; p = p * r + 0.5f; p = p * r + 1.0f; p = p * r + 1.0f;
  const int32_t ni = (int32_t)n, n1 = ni >> 1, n2 = ni - n1;  // both in [-75, 64] in range
  const float s1 = mw_bits_to_float((uint32_t)(n1 + 127) << 23), s2 = mw_bits_to_float((uint32_t)(n2 + 127) << 23);
  const float y = p * s1 * s2;
  const float capped = x > 88.8f ? INFINITY : y;
  const uint32_t keep = x < -104.0f ? 0u : 0xffffffffu;
  return mw_bits_to_float(mw_float_to_bits(capped) & keep);
}
static inline float mw_erff(float x) {
  // erf(x) = x·P(x²)/Q(x²) for |x| <= 4, P and Q of degree 5 (a rational fit made for this
  // project by packages/cpu-backend/scripts/fit_erf.py; every coefficient is positive, so the
  // two short Horner chains do not cancel): absolute error < 3e-7 on the whole line, relative
  // error < 4e-7 near 0; beyond 4, erf rounds to ±1. NaN passes the clamps.
  const float a = fabsf(x);
  const float ac = a > 4.0f ? 4.0f : a;
  const float z = ac * ac;
  float p = 1.974285624e-06f;
  p = p * z + 2.880084503e-04f; p = p * z + 4.003818613e-03f; p = p * z + 5.346789584e-02f;
  p = p * z + 1.962579787e-01f; p = p * z + 1.128378987e+00f;
  float q = 3.747346636e-05f;
  q = q * z + 1.216332545e-03f; q = q * z + 1.544480305e-02f; q = q * z + 1.164794415e-01f;
  q = q * z + 5.072602630e-01f; q = q * z + 1.0f;
  const float y = ac * p / q;
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
// Softmax's exp pass over one contiguous row: out[j] = exp(x[j] - shift) (out may be null),
// returning the sum; \`ahead\` (may be null) is the same row of a later row, prefetched a step at a
// time. The arithmetic is mw_expf's, operation for operation (so the values are the same), but
// on four vectors at once with their steps interleaved: one vector's exp is a ~55-cycle chain
// of dependent FMAs, and the out-of-order window holds only a few of them, so a plain
// vectorised loop waits on latency (measured: 0.74-0.77x the time of that loop for the whole
// softmax, 6x1500x1500, two threads).
#if defined(__AVX2__) && defined(__FMA__)
static inline void mw_exp8x4(__m256* v) {
  const __m256 sh = _mm256_set1_ps(12582912.0f);
  __m256 n[4], r[4], p[4];
  for (int u = 0; u < 4; ++u) n[u] = _mm256_sub_ps(_mm256_fmadd_ps(v[u], _mm256_set1_ps(1.44269504f), sh), sh);
  for (int u = 0; u < 4; ++u) r[u] = _mm256_fnmadd_ps(n[u], _mm256_set1_ps(0.693145752f), v[u]);
  for (int u = 0; u < 4; ++u) r[u] = _mm256_fnmadd_ps(n[u], _mm256_set1_ps(1.42860677e-6f), r[u]);
  for (int u = 0; u < 4; ++u) p[u] = _mm256_fmadd_ps(_mm256_set1_ps(1.98412698e-4f), r[u], _mm256_set1_ps(1.38888889e-3f));
  const float c[6] = { 8.33333333e-3f, 4.16666667e-2f, 1.66666667e-1f, 0.5f, 1.0f, 1.0f };
  for (int k = 0; k < 6; ++k)
    for (int u = 0; u < 4; ++u) p[u] = _mm256_fmadd_ps(p[u], r[u], _mm256_set1_ps(c[k]));
  const __m256i bias = _mm256_set1_epi32(127);
  for (int u = 0; u < 4; ++u) {
    const __m256i ni = _mm256_cvttps_epi32(n[u]), n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p[u], s1), s2);
    const __m256 capped = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(v[u], _mm256_set1_ps(88.8f), _CMP_GT_OQ));
    v[u] = _mm256_and_ps(capped, _mm256_cmp_ps(v[u], _mm256_set1_ps(-104.0f), _CMP_NLT_UQ));
  }
}
#endif
static inline float mw_exp_shift_sum(const float* x, float shift, float* out, int64_t n, const float* ahead) {
  int64_t j = 0;
  float sum = 0.0f;
#if defined(__AVX2__) && defined(__FMA__)
  const __m256 m = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  for (; j + 32 <= n; j += 32) {
    if (ahead) { __builtin_prefetch(ahead + j); __builtin_prefetch(ahead + j + 16); }
    __m256 v[4];
    for (int u = 0; u < 4; ++u) v[u] = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8 * u), m);
    mw_exp8x4(v);
    if (out) for (int u = 0; u < 4; ++u) _mm256_storeu_ps(out + j + 8 * u, v[u]);
    acc = _mm256_add_ps(acc, _mm256_add_ps(_mm256_add_ps(v[0], v[1]), _mm256_add_ps(v[2], v[3])));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  for (int u = 0; u < 8; ++u) sum += lanes[u];
#endif
  #pragma omp simd reduction(+:sum)
  for (int64_t i = j; i < n; ++i) {
    const float e = mw_expf(x[i] - shift);
    if (out) out[i] = e;
    sum += e;
  }
  return sum;
}
`;
