// Portable kernels for any x86-64 (or other) CPU: plain loops written so -O3 vectorises them
// for the baseline ISA. Same drivers as the SIMD paths, smaller micro-tile.
#include "common.h"

#define MW_MR 4
#define MW_NR 16
#define MW_MC 64
#define MW_KC 256

namespace mw {
namespace generic {
namespace {

// A is packed ([kc][MR], lda 0) or read in place, MR rows lda apart.
void micro(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
           float alpha, int accumulate) {
  const int64_t rs = lda ? lda : 1, step = lda ? 1 : MW_MR;
  float acc[MW_MR][MW_NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < MW_MR; r++) {
      float x = a[r * rs];
      for (int j = 0; j < MW_NR; j++) acc[r][j] += x * b[j];
    }
    a += step;
    b += ldb;
  }
  for (int r = 0; r < MW_MR; r++) {
    float* cr = c + r * ldc;
    if (accumulate) {
      for (int j = 0; j < MW_NR; j++) cr[j] += alpha * acc[r][j];
    } else {
      for (int j = 0; j < MW_NR; j++) cr[j] = alpha * acc[r][j];
    }
  }
}

void convert_f16(const uint16_t* s, float* d, int64_t n) {
  for (int64_t j = 0; j < n; j++) d[j] = half_to_float(s[j]);
}

// exp(x) with relative error ~2e-7: range reduction by ln 2 and a degree-6 polynomial;
// exactly 0 below -87.3 (which covers -inf from masks).
inline float fast_exp(float x) {
  float xc = x < -87.3f ? -87.3f : (x > 88.f ? 88.f : x);
  float t = xc * 1.44269504088896341f;
  float n = (t + 12582912.f) - 12582912.f;  // round to nearest via the 1.5*2^23 trick
  float r = xc - n * 0.693145751953125f - n * 1.428606765330187e-06f;
  float p = 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float s;
  __builtin_memcpy(&s, &bits, 4);
  return x < -87.3f ? 0.f : p * s;
}

void exp_sub_row(float* row, int64_t n, float m) {
  for (int64_t j = 0; j < n; j++) row[j] = fast_exp(row[j] - m);
}

// Defined after kernels.inc, whose load_b they read B and V with.
void dot_cols(const float* a, int64_t lda, int64_t m, const void* b, int32_t dt, int64_t ldb,
              int64_t k, int64_t n, float* out, int64_t ldo, float alpha);

void weighted_rows(const float* w, const void* v, int32_t dt, int64_t ldv, int64_t n, int64_t dv, float* o);

void exp_sub_vec(float* x, const float* m, int64_t n) {
  for (int64_t j = 0; j < n; j++) x[j] = fast_exp(x[j] - m[j]);
}

}  // namespace

#include "kernels.inc"

namespace {

// out[i * ldo + j] = alpha · Σ_p a[i * lda + p] · B(j)[p], column j at b + j·ldb (see
// dots_avx2.inc); 16 fixed lanes per sum.
void dot_cols(const float* a, int64_t lda, int64_t m, const void* b, int32_t dt, int64_t ldb,
              int64_t k, int64_t n, float* out, int64_t ldo, float alpha) {
  for (int64_t j = 0; j < n; j++)
    for (int64_t i = 0; i < m; i++) {
      const float* ar = a + i * lda;
      float lane[16] = {};
      for (int64_t p = 0; p < k; p++) lane[p % 16] += ar[p] * load_b(b, dt, j * ldb + p);
      float s = 0.f;
      for (int l = 0; l < 16; l++) s += lane[l];
      out[i * ldo + j] = alpha * s;
    }
}

void weighted_rows(const float* w, const void* v, int32_t dt, int64_t ldv, int64_t n, int64_t dv, float* o) {
  for (int64_t c = 0; c < dv; c++) o[c] = 0.f;
  for (int64_t j = 0; j < n; j++)
    for (int64_t c = 0; c < dv; c++) o[c] += w[j] * load_b(v, dt, j * ldv + c);
}

}  // namespace

double fma_loop(int64_t iters) {
  // Baseline x86-64 has no FMA: count the multiply and the add as two flops, as peak
  // arithmetic for this ISA. GCC vector types give 8 independent 4-wide SSE chains.
  typedef float v4 __attribute__((vector_size(16)));
  v4 x[8];
  for (int r = 0; r < 8; r++) x[r] = v4{1.f, 1.1f, 1.2f, 1.3f} + (float)r;  // distinct, or chains merge
  const v4 m = {0.9999999f, 0.9999999f, 0.9999999f, 0.9999999f}, a = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
  for (int64_t i = 0; i < iters; i++)
    for (int r = 0; r < 8; r++) x[r] = x[r] * m + a;
  v4 s = x[0];
  for (int r = 1; r < 8; r++) s += x[r];
  volatile float sink = s[0] + s[1] + s[2] + s[3];
  (void)sink;
  return (double)iters * 8 * 4 * 2;
}

}  // namespace generic
}  // namespace mw
