// Stand-alone check of every ISA path this CPU supports (no Node needed), used to verify the
// AVX-512 kernels on machines that have them: GEMM (strides, f16/bf16, skinny paths, alpha) and
// attention against double-precision loops, thread-count determinism, and a GEMM/peak timing.
// Build: g++ -O2 -std=c++17 -Inative/include -Inative/src native/test/isa_check.cc \
//          native/src/{runtime,pool,kernels_generic,kernels_avx2,kernels_avx512}.cc -lpthread
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "runtime.h"

namespace {

int failures = 0;
std::mt19937 gen(42);
float uni() { return std::uniform_real_distribution<float>(-1.f, 1.f)(gen); }

uint16_t to_half(float f) {  // round-to-nearest f32 -> f16 for test data (normal range only)
  uint32_t u;
  memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  int32_t e = (int32_t)((u >> 23) & 0xff) - 127 + 15;
  uint32_t man = u & 0x7fffff;
  if (e <= 0) return (uint16_t)sign;
  uint32_t h = sign | ((uint32_t)e << 10) | (man >> 13);
  if ((man & 0x1fff) > 0x1000 || ((man & 0x1fff) == 0x1000 && (h & 1))) h++;
  return (uint16_t)h;
}

struct GemmCase {
  int64_t m, n, k, batch;
  bool at, bt;  // transposed A / B storage
  int32_t dt;
  float alpha;
  bool bcast;  // B shared across the batch (stride 0)
};

std::vector<float> run_gemm(const GemmCase& cs, double* max_err) {
  int64_t m = cs.m, n = cs.n, k = cs.k, B = cs.batch;
  std::vector<float> a(B * m * k), bf(B * k * n), c(B * m * n, 7.f);
  for (auto& x : a) x = uni();
  for (auto& x : bf) x = uni();
  std::vector<uint16_t> bh(bf.size());
  for (size_t i = 0; i < bf.size(); i++) {
    uint32_t u;
    if (cs.dt == MW_BF16) {
      memcpy(&u, &bf[i], 4);
      bh[i] = (uint16_t)(u >> 16);
      u = (uint32_t)bh[i] << 16;
      memcpy(&bf[i], &u, 4);
    } else if (cs.dt == MW_F16) {
      bh[i] = to_half(bf[i]);
      bf[i] = mw::half_to_float(bh[i]);
    }
  }
  mw_gemm_args g{};
  g.batch = B, g.m = m, g.n = n, g.k = k;
  g.a = a.data(), g.a_batch_stride = m * k;
  g.a_row_stride = cs.at ? 1 : k, g.a_col_stride = cs.at ? m : 1;
  g.b = cs.dt == MW_F32 ? (const void*)bf.data() : (const void*)bh.data();
  g.b_dtype = cs.dt, g.b_batch_stride = cs.bcast ? 0 : k * n;
  g.b_row_stride = cs.bt ? 1 : n, g.b_col_stride = cs.bt ? k : 1;
  g.c = c.data(), g.c_batch_stride = m * n, g.ldc = n, g.alpha = cs.alpha;
  mw::sgemm(&g);
  double worst = 0;
  for (int64_t b = 0; b < B; b++)
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double s = 0, mag = 0;
        for (int64_t p = 0; p < k; p++) {
          double x = (double)a[b * m * k + i * g.a_row_stride + p * g.a_col_stride] *
                     bf[b * g.b_batch_stride + p * g.b_row_stride + j * g.b_col_stride];
          s += x, mag += fabs(x);
        }
        double err = fabs(c[b * m * n + i * n + j] - cs.alpha * s) / (1e-5 * fabs(cs.alpha) * mag + 1e-6);
        if (!(err <= worst)) worst = err;  // catches NaN too
      }
  *max_err = worst;
  return c;
}

std::vector<float> run_attention(int64_t H, int64_t lq, int64_t lk, int64_t d, bool causal, bool mask, double* max_err,
                                 bool half_kv = false) {
  std::vector<float> q(H * lq * d), k(H * lk * d), v(H * lk * d), o(H * lq * d), mk(lq * lk);
  std::vector<uint16_t> kh, vh;  // f16 K/V: the kernel reads the bits, the reference their values
  for (auto& x : q) x = uni();
  for (auto& x : k) x = uni();
  for (auto& x : v) x = uni();
  if (half_kv) {
    for (auto& x : k) kh.push_back(to_half(x)), x = mw::half_to_float(kh.back());
    for (auto& x : v) vh.push_back(to_half(x)), x = mw::half_to_float(vh.back());
  }
  for (auto& x : mk) x = uni() < -0.8f ? -INFINITY : uni();
  mw_attention_args a{};
  a.batch = 1, a.heads = H, a.lq = lq, a.lk = lk, a.d = d, a.dv = d;
  a.q = q.data(), a.q_hs = lq * d, a.q_rs = d;
  a.k = half_kv ? (const void*)kh.data() : k.data(), a.k_hs = lk * d, a.k_rs = d;
  a.v = half_kv ? (const void*)vh.data() : v.data(), a.v_hs = lk * d, a.v_rs = d;
  a.kv_dtype = half_kv ? MW_F16 : MW_F32;
  a.out = o.data(), a.o_hs = lq * d, a.o_rs = d;
  a.mask = mask ? mk.data() : nullptr, a.m_rs = lk, a.m_cs = 1;
  a.scale = 1.f / sqrtf((float)d), a.causal = causal;
  mw::attention(&a);
  double worst = 0;
  std::vector<double> s(lk);
  for (int64_t h = 0; h < H; h++)
    for (int64_t i = 0; i < lq; i++) {
      double mx = -INFINITY;
      for (int64_t j = 0; j < lk; j++) {
        double dot = 0;
        for (int64_t p = 0; p < d; p++) dot += (double)q[(h * lq + i) * d + p] * k[(h * lk + j) * d + p];
        s[j] = dot * a.scale + (mask ? mk[i * lk + j] : 0.0);
        if (causal && j > i + lk - lq) s[j] = -INFINITY;
        mx = fmax(mx, s[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < lk; j++) sum += s[j] = mx == -INFINITY ? 0 : exp(s[j] - mx);
      for (int64_t c = 0; c < d; c++) {
        double acc = 0;
        for (int64_t j = 0; j < lk; j++) acc += s[j] * v[(h * lk + j) * d + c];
        double want = sum > 0 ? acc / sum : 0, got = o[(h * lq + i) * d + c];
        double err = fabs(got - want) / (2e-5 + 2e-5 * fabs(want));
        if (!(err <= worst)) worst = err;
      }
    }
  *max_err = worst;
  return o;
}

void report(const char* isa, const char* what, double err) {
  bool ok = err <= 1.0;
  if (!ok) failures++;
  printf("%-8s %-44s %s (error/tolerance %.3g)\n", isa, what, ok ? "ok" : "FAIL", err);
}

}  // namespace

int main() {
  const mw::Isa isas[] = {mw::ISA_GENERIC, mw::ISA_AVX2, mw::ISA_AVX512};
  printf("cpu: %s, %d cores, best isa %s\n", mw::cpu_model().c_str(), mw::cpu_cores(), mw::isa_name(mw::best_isa()));
  const GemmCase gemms[] = {
      {1, 1, 1, 1, false, false, MW_F32, 1.f, false},     {17, 63, 65, 1, false, false, MW_F32, 1.f, false},
      {97, 200, 520, 1, false, false, MW_F32, 1.f, false}, {130, 77, 33, 2, true, true, MW_F32, -0.5f, true},
      {1, 3000, 64, 1, false, false, MW_F32, 1.f, false},  {3, 1000, 100, 1, false, true, MW_F32, 2.f, false},
      {11, 100, 40, 1, false, false, MW_F32, 1.f, false},  {70, 45, 66, 1, false, false, MW_F16, 1.f, false},
      {70, 45, 66, 1, false, true, MW_BF16, 1.f, false},   {2, 300, 70, 1, false, false, MW_F16, 1.f, false},
      {5, 300, 70, 1, false, true, MW_BF16, 1.f, false},   {150, 160, 384, 1, false, false, MW_F32, 1.f, false},
  };
  for (mw::Isa isa : isas) {
    if ((int)isa > (int)mw::best_isa()) {
      printf("%-8s skipped: not supported by this CPU\n", mw::isa_name(isa));
      continue;
    }
    mw::set_isa(isa);
    const char* name = mw::isa_name(isa);
    char what[128];
    for (const GemmCase& cs : gemms) {
      double err;
      run_gemm(cs, &err);
      snprintf(what, sizeof what, "gemm %ldx%ldx%ld b%ld %s%s dt%d", (long)cs.m, (long)cs.n, (long)cs.k, (long)cs.batch,
               cs.at ? "At" : "", cs.bt ? "Bt" : "", cs.dt);
      report(name, what, err);
    }
    const int64_t att[][5] = {{2, 37, 37, 16, 1}, {2, 130, 130, 64, 1}, {3, 5, 77, 64, 1}, {3, 1, 70, 64, 0}, {1, 70, 150, 40, 0}};
    for (auto& t : att) {
      double err;
      run_attention(t[0], t[1], t[2], t[3], t[4], !t[4], &err);
      snprintf(what, sizeof what, "attention h%ld %ldx%ld d%ld %s", (long)t[0], (long)t[1], (long)t[2], (long)t[3],
               t[4] ? "causal" : "mask");
      report(name, what, err);
    }
    for (auto& t : {att[3], att[4]}) {  // f16 K/V: the row path and the packed one
      double err;
      run_attention(t[0], t[1], t[2], t[3], t[4], !t[4], &err, true);
      snprintf(what, sizeof what, "attention f16 K/V h%ld %ldx%ld d%ld", (long)t[0], (long)t[1], (long)t[2], (long)t[3]);
      report(name, what, err);
    }
    // Same answer, bit for bit, on 1 thread and on all of them.
    double err;
    int all = mw::cpu_cores();
    mw::set_num_threads(1);
    gen.seed(5);
    auto g1 = run_gemm({150, 300, 384, 1, false, false, MW_F32, 1.f, false}, &err);
    gen.seed(6);
    auto a1 = run_attention(3, 100, 100, 64, true, false, &err);
    mw::set_num_threads(all);
    gen.seed(5);
    auto gN = run_gemm({150, 300, 384, 1, false, false, MW_F32, 1.f, false}, &err);
    gen.seed(6);
    auto aN = run_attention(3, 100, 100, 64, true, false, &err);
    bool same = memcmp(g1.data(), gN.data(), g1.size() * 4) == 0 && memcmp(a1.data(), aN.data(), a1.size() * 4) == 0;
    report(name, "1 thread == all threads (bitwise)", same ? 0 : 2);
    // Timing (informative): 1500x384 · 384x1536 f32 against this ISA's FMA peak, all threads.
    int64_t m = 1500, n = 1536, k = 384;
    std::vector<float> A(m * k, 0.5f), Bm(k * n, 0.25f), C(m * n);
    mw_gemm_args g{};
    g.batch = 1, g.m = m, g.n = n, g.k = k, g.a = A.data(), g.a_row_stride = k, g.a_col_stride = 1;
    g.b = Bm.data(), g.b_dtype = MW_F32, g.b_row_stride = n, g.b_col_stride = 1, g.c = C.data(), g.ldc = n, g.alpha = 1;
    double best = 1e9;
    for (int r = 0; r < 10; r++) {
      auto t0 = std::chrono::steady_clock::now();
      mw::sgemm(&g);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    double peak = mw::peak_fma_gflops(200);
    printf("%-8s timing: gemm 1500x384x1536 %.1f GFLOP/s, peak FMA %.1f GFLOP/s (%.0f%%), %d threads\n", name,
           2.0 * m * n * k / best / 1e9, peak, 100 * 2.0 * m * n * k / best / 1e9 / peak, all);
  }
  printf(failures ? "FAILED: %d checks\n" : "all checks passed\n", failures);
  return failures ? 1 : 0;
}
