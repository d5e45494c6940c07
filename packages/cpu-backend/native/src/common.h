// Internal declarations shared by the addon's translation units. Kept free of C++ standard
// library headers on purpose: the per-ISA kernel files include it inside a `#pragma GCC target`
// region, and any inline std code instantiated there could be merged (ODR) into baseline code.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "mw_runtime.h"

namespace mw {

enum Isa { ISA_GENERIC = 0, ISA_AVX2 = 1, ISA_AVX512 = 2 };

// Thread pool (pool.cc). parallel_for is the one behind mw_runtime::parallel_for.
void parallel_for(int64_t n, int64_t grain, mw_task_fn fn, void* ctx);
int num_threads();
void set_num_threads(int n);
// True on a pool worker while it runs a task: nested parallel_for calls then run inline.
bool in_parallel_region();

// A 64-byte aligned per-thread scratch buffer (slot 0..7), grown on demand, never shrunk.
void* scratch(int slot, size_t bytes);

// Packed-B slots (mw_gemm_args::b_pack). packed_b returns the panel kept in *slot for this B
// (nr-wide slivers, [n / nr][k][nr] floats), allocating a fresh one, with *fresh set, when the
// slot is empty or describes another B or layout; nullptr (nothing kept) when the process-wide
// budget (MW_CPU_PACKED_MB, default 1024; 0 turns packing off) would be exceeded.
float* packed_b(void** slot, const mw_gemm_args* g, int64_t nr, bool* fresh);
// Frees what the runtime kept in `count` slots and zeroes them.
void release_state(void** slots, int64_t count);
// Bytes held in packed-B slots across the process, and the most they may hold.
int64_t packed_bytes();
int64_t packed_budget();

// IEEE half -> float without F16C (exact, handles subnormals, inf and NaN).
float half_to_float(uint16_t h);

// Per-ISA kernels (kernels_*.cc). Each is compiled with its own target attributes and only
// called after CPUID said the ISA is there.
#define MW_DECLARE_ISA(ns)                                        \
  namespace ns {                                                  \
  void sgemm(const mw_gemm_args* g);                              \
  void attention(const mw_attention_args* a);                     \
  double fma_loop(int64_t iters); /* returns flops performed */   \
  }
MW_DECLARE_ISA(generic)
MW_DECLARE_ISA(avx2)
MW_DECLARE_ISA(avx512)
#undef MW_DECLARE_ISA

}  // namespace mw
