// AVX-512F kernels: an 8x32 micro-tile (16 zmm accumulators), plus the shared GEMM/attention
// drivers compiled for this ISA. F16C-equivalent conversion comes with AVX-512F itself.
#include <immintrin.h>

#include "common.h"

#pragma GCC push_options
// GCC 12's own avx512fintrin.h trips -Wmaybe-uninitialized (its _mm512_undefined_* idiom).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC target("avx512f,avx2,fma,f16c")

#define MW_MR 8
#define MW_NR 32
#define MW_MC 96
#define MW_KC 384

namespace mw {
namespace avx512 {
namespace {

// A is packed ([kc][8], RM false) or read in place, eight rows lda apart (RM true).
template <bool RM>
inline void micro_t(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                    int64_t ldc, float alpha, int accumulate) {
  const int64_t rs = RM ? lda : 1, step = RM ? 1 : 8;
  for (int r = 0; r < 8; r++) {
    _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char*)(c + r * ldc + 31), _MM_HINT_T0);
  }
  __m512 c0[8], c1[8];
  for (int r = 0; r < 8; r++) {
    c0[r] = _mm512_setzero_ps();
    c1[r] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kc; p++) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
      __m512 x = _mm512_set1_ps(a[r * rs]);
      c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);
    }
    a += step;
    b += ldb;
  }
  const __m512 al = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) {
    float* cr = c + r * ldc;
    if (accumulate) {
      _mm512_storeu_ps(cr, _mm512_fmadd_ps(al, c0[r], _mm512_loadu_ps(cr)));
      _mm512_storeu_ps(cr + 16, _mm512_fmadd_ps(al, c1[r], _mm512_loadu_ps(cr + 16)));
    } else {
      _mm512_storeu_ps(cr, _mm512_mul_ps(al, c0[r]));
      _mm512_storeu_ps(cr + 16, _mm512_mul_ps(al, c1[r]));
    }
  }
}

void micro(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
           float alpha, int accumulate) {
  if (lda) micro_t<true>(kc, a, lda, b, ldb, c, ldc, alpha, accumulate);
  else micro_t<false>(kc, a, 0, b, ldb, c, ldc, alpha, accumulate);
}

void convert_f16(const uint16_t* s, float* d, int64_t n) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) _mm512_storeu_ps(d + j, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(s + j))));
  for (; j < n; j++) d[j] = half_to_float(s[j]);
}

#include "dots_avx2.inc"

// exp(x), 16 lanes (see exp8 in kernels_avx2.cc for the method); 0 below -87.3.
inline __m512 exp16(__m512 x) {
  const __m512 lo = _mm512_set1_ps(-87.3f), hi = _mm512_set1_ps(88.f);
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.428606765330187e-06f),
                              _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), xc));
  __m512 p = _mm512_set1_ps(1.f / 720.f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
  __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(e));
  __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  return _mm512_maskz_mov_ps((__mmask16)~under, y);
}

// row[j] = exp(row[j] - m) over n (a multiple of 16) floats.
void exp_sub_row(float* row, int64_t n, float m) {
  const __m512 vm = _mm512_set1_ps(m);
  for (int64_t j = 0; j < n; j += 16) _mm512_storeu_ps(row + j, exp16(_mm512_sub_ps(_mm512_loadu_ps(row + j), vm)));
}

// x[i] = exp(x[i] - m[i]) over n (a multiple of 16) floats.
void exp_sub_vec(float* x, const float* m, int64_t n) {
  for (int64_t j = 0; j < n; j += 16)
    _mm512_storeu_ps(x + j, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(m + j))));
}

}  // namespace

#include "kernels.inc"

double fma_loop(int64_t iters) {
  __m512 m = _mm512_set1_ps(0.9999999f), add = _mm512_set1_ps(1e-7f);
  __m512 x[12];
  // Distinct starting values: identical chains would be merged by the compiler into one.
  for (int r = 0; r < 12; r++) x[r] = _mm512_set1_ps(1.f + 0.1f * (float)r);
  for (int64_t i = 0; i < iters; i++) {
#pragma GCC unroll 12
    for (int r = 0; r < 12; r++) x[r] = _mm512_fmadd_ps(x[r], m, add);
  }
  __m512 s = x[0];
  for (int r = 1; r < 12; r++) s = _mm512_add_ps(s, x[r]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  volatile float sink = out[0];
  (void)sink;
  return (double)iters * 12 * 16 * 2;
}

}  // namespace avx512
}  // namespace mw

#pragma GCC pop_options
