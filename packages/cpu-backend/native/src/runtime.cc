// ISA detection and selection, the dispatching sgemm/attention entry points, the mw_runtime
// table handed to generated libraries, and the machine-limit probes (peak FMA, STREAM triad).
#include "runtime.h"

#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace mw {
namespace {

bool cpu_has(Isa isa) {
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("f16c");
  switch (isa) {
    case ISA_GENERIC: return true;
    case ISA_AVX2: return avx2;
    case ISA_AVX512: return avx2 && __builtin_cpu_supports("avx512f");
  }
  return false;
}

Isa initial_isa() {
  Isa best = best_isa();
  const char* env = getenv("MW_CPU_ISA");
  if (!env || !*env) return best;
  Isa want = parse_isa(env, "MW_CPU_ISA");
  if (!cpu_has(want))
    throw std::runtime_error(std::string("[cpu-backend] MW_CPU_ISA=") + env +
                             " is not supported by this CPU (best available: " + isa_name(best) + ")");
  return want;
}

std::atomic<int> g_isa{-1};

void rt_parallel_for(int64_t n, int64_t grain, mw_task_fn fn, void* ctx) { parallel_for(n, grain, fn, ctx); }

}  // namespace

Isa best_isa() {
  if (cpu_has(ISA_AVX512)) return ISA_AVX512;
  if (cpu_has(ISA_AVX2)) return ISA_AVX2;
  return ISA_GENERIC;
}

const char* isa_name(Isa isa) {
  return isa == ISA_AVX512 ? "avx512" : isa == ISA_AVX2 ? "avx2" : "generic";
}

Isa parse_isa(const std::string& s, const char* what) {
  if (s == "avx512") return ISA_AVX512;
  if (s == "avx2") return ISA_AVX2;
  if (s == "generic") return ISA_GENERIC;
  throw std::runtime_error(std::string("[cpu-backend] ") + what +
                           ": expected avx512, avx2 or generic, got \"" + s + "\"");
}

Isa current_isa() {
  int v = g_isa.load();
  if (v < 0) {
    v = (int)initial_isa();
    g_isa.store(v);
  }
  return (Isa)v;
}

void set_isa(Isa isa) {
  if (!cpu_has(isa))
    throw std::runtime_error(std::string("[setIsa] ") + isa_name(isa) +
                             " is not supported by this CPU (best available: " + isa_name(best_isa()) + ")");
  g_isa.store((int)isa);
}

std::vector<std::string> cpu_flags() {
  std::vector<std::string> out;
  __builtin_cpu_init();
#define MW_FLAG(f) \
  if (__builtin_cpu_supports(f)) out.push_back(f);
  MW_FLAG("sse4.2") MW_FLAG("avx") MW_FLAG("avx2") MW_FLAG("fma") MW_FLAG("f16c")
  MW_FLAG("avx512f") MW_FLAG("avx512bw") MW_FLAG("avx512vl") MW_FLAG("avx512dq")
  MW_FLAG("avx512vnni") MW_FLAG("avx512bf16")
#undef MW_FLAG
  return out;
}

std::string cpu_model() {
  unsigned regs[12] = {};
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) || eax < 0x80000004u) return "unknown";
  for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002u + i, &regs[i * 4], &regs[i * 4 + 1], &regs[i * 4 + 2], &regs[i * 4 + 3]);
  char buf[49];
  memcpy(buf, regs, 48);
  buf[48] = 0;
  std::string s(buf);
  size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "unknown" : s.substr(b, e - b + 1);
}

int cpu_cores() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal half: renormalise
    int e = -1;
    do {
      man <<= 1;
      e++;
    } while (!(man & 0x400));
    bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

namespace {

// What a packed-B slot holds: this header, then the panel (64-byte aligned).
struct PackedB {
  const void* b;
  int64_t row_stride, col_stride, k, n, nr, bytes;
  int32_t dtype;
};
constexpr size_t PACKED_HEADER = 64;
static_assert(sizeof(PackedB) <= PACKED_HEADER, "header must fit in front of the panel");

std::atomic<int64_t> g_packed_bytes{0};

void free_packed(void** slot) {
  auto* h = (PackedB*)*slot;
  if (!h) return;
  g_packed_bytes.fetch_sub(h->bytes);
  free(h);
  *slot = nullptr;
}

}  // namespace

int64_t packed_budget() {
  static const int64_t budget = [] {
    const char* env = getenv("MW_CPU_PACKED_MB");
    char* end = nullptr;
    long long mb = env && *env ? strtoll(env, &end, 10) : 1024;
    if (env && *env && (*end || mb < 0))
      throw std::runtime_error(std::string("[cpu-backend] MW_CPU_PACKED_MB: expected a whole number of MiB, got \"") + env + "\"");
    return (int64_t)mb << 20;
  }();
  return budget;
}

float* packed_b(void** slot, const mw_gemm_args* g, int64_t nr, bool* fresh) {
  *fresh = false;
  auto* h = (PackedB*)*slot;
  if (h && h->b == g->b && h->dtype == g->b_dtype && h->row_stride == g->b_row_stride &&
      h->col_stride == g->b_col_stride && h->k == g->k && h->n == g->n && h->nr == nr)
    return (float*)((char*)h + PACKED_HEADER);
  free_packed(slot);
  int64_t bytes = (int64_t)PACKED_HEADER + (g->n + nr - 1) / nr * nr * g->k * (int64_t)sizeof(float);
  if (g_packed_bytes.fetch_add(bytes) + bytes > packed_budget()) {
    g_packed_bytes.fetch_sub(bytes);
    return nullptr;
  }
  h = (PackedB*)aligned_alloc(64, (size_t)(bytes + 63) / 64 * 64);
  if (!h) {
    g_packed_bytes.fetch_sub(bytes);
    return nullptr;
  }
  *h = PackedB{g->b, g->b_row_stride, g->b_col_stride, g->k, g->n, nr, bytes, g->b_dtype};
  *slot = h;
  *fresh = true;
  return (float*)((char*)h + PACKED_HEADER);
}

void release_state(void** slots, int64_t count) {
  for (int64_t i = 0; i < count; i++) free_packed(&slots[i]);
}

int64_t packed_bytes() { return g_packed_bytes.load(); }

void sgemm(const mw_gemm_args* g) {
  switch (current_isa()) {
    case ISA_AVX512: avx512::sgemm(g); break;
    case ISA_AVX2: avx2::sgemm(g); break;
    default: generic::sgemm(g);
  }
}

void attention(const mw_attention_args* a) {
  switch (current_isa()) {
    case ISA_AVX512: avx512::attention(a); break;
    case ISA_AVX2: avx2::attention(a); break;
    default: generic::attention(a);
  }
}

const mw_runtime* runtime() {
  static mw_runtime rt;
  rt.abi_version = MW_ABI_VERSION;
  rt.num_threads = num_threads();
  rt.parallel_for = rt_parallel_for;
  rt.sgemm = sgemm;
  rt.attention = attention;
  return &rt;
}

namespace {

using Clock = std::chrono::steady_clock;

struct FmaProbe {
  Isa isa;
  Clock::time_point deadline;
  std::atomic<double> flops{0};
};

void fma_task(void* ctx, int64_t b, int64_t e) {
  FmaProbe& p = *(FmaProbe*)ctx;
  for (int64_t i = b; i < e; i++) {
    double f = 0;
    // Each thread runs until the shared deadline, so a thread that starts late just
    // contributes less; total flops over wall time stays the machine's throughput.
    do {
      switch (p.isa) {
        case ISA_AVX512: f += avx512::fma_loop(1 << 14); break;
        case ISA_AVX2: f += avx2::fma_loop(1 << 14); break;
        default: f += generic::fma_loop(1 << 14);
      }
    } while (Clock::now() < p.deadline);
    double cur = p.flops.load();
    while (!p.flops.compare_exchange_weak(cur, cur + f)) {
    }
  }
}

struct Triad {
  float *a, *b, *c;
  int64_t n, chunks;
  float s;
};

void triad_init(void* ctx, int64_t b, int64_t e) {
  Triad& t = *(Triad*)ctx;
  for (int64_t ch = b; ch < e; ch++)
    for (int64_t i = ch * t.n / t.chunks; i < (ch + 1) * t.n / t.chunks; i++) {
      t.a[i] = 0.f;
      t.b[i] = 1.f;
      t.c[i] = 2.f;
    }
}

void triad_task(void* ctx, int64_t b, int64_t e) {
  Triad& t = *(Triad*)ctx;
  for (int64_t ch = b; ch < e; ch++) {
    float *a = t.a, *bb = t.b, *c = t.c;
    const float s = t.s;
    for (int64_t i = ch * t.n / t.chunks; i < (ch + 1) * t.n / t.chunks; i++) a[i] = bb[i] + s * c[i];
  }
}

}  // namespace

double peak_fma_gflops(double ms) {
  FmaProbe p;
  p.isa = current_isa();
  int t = num_threads();
  auto start = Clock::now();
  p.deadline = start + std::chrono::microseconds((int64_t)(ms * 1000));
  parallel_for(t, 1, fma_task, &p);
  double sec = std::chrono::duration<double>(Clock::now() - start).count();
  return p.flops.load() / sec / 1e9;
}

double triad_gbps(int64_t bytes, int reps) {
  Triad t;
  t.n = bytes / 4;
  if (t.n < 1024) t.n = 1024;
  size_t sz = ((size_t)t.n * 4 + 63) & ~(size_t)63;
  t.a = (float*)aligned_alloc(64, sz);
  t.b = (float*)aligned_alloc(64, sz);
  t.c = (float*)aligned_alloc(64, sz);
  if (!t.a || !t.b || !t.c) {
    free(t.a), free(t.b), free(t.c);
    throw std::runtime_error("[triad] cannot allocate 3 arrays of " + std::to_string(bytes) + " bytes");
  }
  t.chunks = (int64_t)num_threads();
  t.s = 3.f;
  parallel_for(t.chunks, 1, triad_init, &t);  // first touch by the threads that use the pages
  parallel_for(t.chunks, 1, triad_task, &t);  // warm-up
  auto start = Clock::now();
  for (int r = 0; r < reps; r++) parallel_for(t.chunks, 1, triad_task, &t);
  double sec = std::chrono::duration<double>(Clock::now() - start).count();
  free(t.a), free(t.b), free(t.c);
  return 3.0 * (double)t.n * 4 * reps / sec / 1e9;
}

}  // namespace mw
