// AVX2 + FMA (+ F16C) kernels: a 6x16 micro-tile (12 ymm accumulators, the layout BLIS uses on
// Zen and Haswell), plus the shared GEMM/attention drivers compiled for this ISA.
#include <immintrin.h>

#include "common.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")

#define MW_MR 6
#define MW_NR 16
// MC/KC measured on a 2-core Zen VM: a 48x384 A block and a 384x16 B sliver (24 KiB, L1)
// beat the textbook 96x256, and K = 384 (whisper-tiny's width) then needs no second pass over C.
#define MW_MC 48
#define MW_KC 384

namespace mw {
namespace avx2 {
namespace {

// A is packed ([kc][6], RM false) or read in place, six rows lda apart (RM true).
template <bool RM>
inline void micro_t(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                    int64_t ldc, float alpha, int accumulate) {
  const int64_t rs = RM ? lda : 1, step = RM ? 1 : 6;
  // C rows live in different pages; start fetching them now so the stores at the end do not
  // wait on memory.
  for (int r = 0; r < 6; r++) {
    _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char*)(c + r * ldc + 15), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // Unrolled by 4: measured 6-12% faster on whole GEMMs (fewer loop branches between FMAs).
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; p++) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x;
    x = _mm256_broadcast_ss(a + 0 * rs); c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1 * rs); c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2 * rs); c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3 * rs); c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4 * rs); c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5 * rs); c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
    a += step;
    b += ldb;
  }
  const __m256 al = _mm256_set1_ps(alpha);
#define MW_STORE(r, v0, v1)                                                          \
  {                                                                                  \
    float* cr = c + (r) * ldc;                                                       \
    if (accumulate) {                                                                \
      _mm256_storeu_ps(cr, _mm256_fmadd_ps(al, v0, _mm256_loadu_ps(cr)));            \
      _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(al, v1, _mm256_loadu_ps(cr + 8)));    \
    } else {                                                                         \
      _mm256_storeu_ps(cr, _mm256_mul_ps(al, v0));                                   \
      _mm256_storeu_ps(cr + 8, _mm256_mul_ps(al, v1));                               \
    }                                                                                \
  }
  MW_STORE(0, c00, c01) MW_STORE(1, c10, c11) MW_STORE(2, c20, c21)
  MW_STORE(3, c30, c31) MW_STORE(4, c40, c41) MW_STORE(5, c50, c51)
#undef MW_STORE
}

void micro(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
           float alpha, int accumulate) {
  if (lda) micro_t<true>(kc, a, lda, b, ldb, c, ldc, alpha, accumulate);
  else micro_t<false>(kc, a, 0, b, ldb, c, ldc, alpha, accumulate);
}

void convert_f16(const uint16_t* s, float* d, int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(d + j, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(s + j))));
  for (; j < n; j++) d[j] = half_to_float(s[j]);
}

#include "dots_avx2.inc"

// exp on U vectors of 8 lanes in place: range reduction by ln 2 and a degree-6 polynomial
// (relative error ~2e-7, like the generic fast_exp); exactly 0 below -87.3, so masked (-inf)
// scores vanish. One vector's exp is a long chain of dependent FMAs; U > 1 interleaves the steps
// of independent vectors so that the out-of-order window has work while each chain waits.
template <int U>
inline void expv(__m256* v) {
  const __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.f);
  __m256 xc[U], k[U], r[U], p[U];
  for (int u = 0; u < U; u++) xc[u] = _mm256_min_ps(_mm256_max_ps(v[u], lo), hi);
  for (int u = 0; u < U; u++)
    k[u] = _mm256_round_ps(_mm256_mul_ps(xc[u], _mm256_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  for (int u = 0; u < U; u++) r[u] = _mm256_fnmadd_ps(k[u], _mm256_set1_ps(0.693145751953125f), xc[u]);
  for (int u = 0; u < U; u++) r[u] = _mm256_fnmadd_ps(k[u], _mm256_set1_ps(1.428606765330187e-06f), r[u]);
  for (int u = 0; u < U; u++) p[u] = _mm256_fmadd_ps(_mm256_set1_ps(1.f / 720.f), r[u], _mm256_set1_ps(1.f / 120.f));
  const float c[5] = {1.f / 24.f, 1.f / 6.f, 0.5f, 1.f, 1.f};
  for (int q = 0; q < 5; q++)
    for (int u = 0; u < U; u++) p[u] = _mm256_fmadd_ps(p[u], r[u], _mm256_set1_ps(c[q]));
  for (int u = 0; u < U; u++) {
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k[u]), _mm256_set1_epi32(127)), 23);
    v[u] = _mm256_andnot_ps(_mm256_cmp_ps(v[u], lo, _CMP_LT_OQ), _mm256_mul_ps(p[u], _mm256_castsi256_ps(e)));
  }
}

inline __m256 exp8(__m256 x) {
  expv<1>(&x);
  return x;
}

// row[j] = exp(row[j] - m) over n (a multiple of 16) floats.
void exp_sub_row(float* row, int64_t n, float m) {
  const __m256 vm = _mm256_set1_ps(m);
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    __m256 v[4];
    for (int u = 0; u < 4; u++) v[u] = _mm256_sub_ps(_mm256_loadu_ps(row + j + 8 * u), vm);
    expv<4>(v);
    for (int u = 0; u < 4; u++) _mm256_storeu_ps(row + j + 8 * u, v[u]);
  }
  for (; j < n; j += 8) _mm256_storeu_ps(row + j, exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), vm)));
}

// x[i] = exp(x[i] - m[i]) over n (a multiple of 16) floats.
void exp_sub_vec(float* x, const float* m, int64_t n) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    __m256 v[4];
    for (int u = 0; u < 4; u++) v[u] = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8 * u), _mm256_loadu_ps(m + j + 8 * u));
    expv<4>(v);
    for (int u = 0; u < 4; u++) _mm256_storeu_ps(x + j + 8 * u, v[u]);
  }
  for (; j < n; j += 8)
    _mm256_storeu_ps(x + j, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(m + j))));
}

}  // namespace

#include "kernels.inc"

double fma_loop(int64_t iters) {
  // 12 independent chains cover FMA latency (4-5 cycles) times 2 FMA ports.
  __m256 m = _mm256_set1_ps(0.9999999f), add = _mm256_set1_ps(1e-7f);
  // Distinct starting values: identical chains would be merged by the compiler into one.
  __m256 x0 = _mm256_set1_ps(1.f), x1 = _mm256_set1_ps(1.1f), x2 = _mm256_set1_ps(1.2f),
         x3 = _mm256_set1_ps(1.3f), x4 = _mm256_set1_ps(1.4f), x5 = _mm256_set1_ps(1.5f),
         x6 = _mm256_set1_ps(1.6f), x7 = _mm256_set1_ps(1.7f), x8 = _mm256_set1_ps(1.8f),
         x9 = _mm256_set1_ps(1.9f), x10 = _mm256_set1_ps(2.f), x11 = _mm256_set1_ps(2.1f);
  for (int64_t i = 0; i < iters; i++) {
    x0 = _mm256_fmadd_ps(x0, m, add); x1 = _mm256_fmadd_ps(x1, m, add);
    x2 = _mm256_fmadd_ps(x2, m, add); x3 = _mm256_fmadd_ps(x3, m, add);
    x4 = _mm256_fmadd_ps(x4, m, add); x5 = _mm256_fmadd_ps(x5, m, add);
    x6 = _mm256_fmadd_ps(x6, m, add); x7 = _mm256_fmadd_ps(x7, m, add);
    x8 = _mm256_fmadd_ps(x8, m, add); x9 = _mm256_fmadd_ps(x9, m, add);
    x10 = _mm256_fmadd_ps(x10, m, add); x11 = _mm256_fmadd_ps(x11, m, add);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                           _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(x10, x11)));
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return (double)iters * 12 * 8 * 2;
}

}  // namespace avx2
}  // namespace mw

#pragma GCC pop_options
