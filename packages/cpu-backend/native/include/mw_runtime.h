// The C ABI between the cpu-backend addon (thread pool, GEMM, attention) and the C++ that the
// compiler generates for each graph. Generated libraries include only this header; the addon
// hands them a filled mw_runtime at load time. Bump MW_ABI_VERSION on any layout change.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MW_ABI_VERSION 3

enum mw_dtype { MW_F32 = 0, MW_F16 = 1, MW_BF16 = 2, MW_I32 = 3, MW_I64 = 4, MW_BOOL = 5 };

// A chunk of a parallel loop: indices [begin, end).
typedef void (*mw_task_fn)(void* ctx, int64_t begin, int64_t end);

// Called once per finished tile of C (after the full K sum), while the tile is still in cache.
// c points at element (row0, col0) of batch item `batch`; rows are ldc floats apart.
typedef void (*mw_epilogue_fn)(void* ctx, float* c, int64_t ldc, int64_t batch,
                               int64_t row0, int64_t col0, int64_t rows, int64_t cols);

// C[b] = alpha · A[b] · B[b], then epi(tile) for every tile. Strides are in elements, so
// transposed and broadcast (stride 0) operands need no copy. A is f32; B may be f32, f16 or
// bf16 (converted while packing, accumulation in f32).
typedef struct mw_gemm_args {
  int64_t batch, m, n, k;
  const float* a; int64_t a_batch_stride, a_row_stride, a_col_stride;
  const void* b; int32_t b_dtype; int64_t b_batch_stride, b_row_stride, b_col_stride;
  float* c; int64_t c_batch_stride, ldc;
  float alpha;
  mw_epilogue_fn epi; void* epi_ctx;  // epi may be NULL
  // Optional (NULL: none): a slot of the caller's state (see mw_run) in which the runtime keeps
  // B packed for its micro-kernel, filled on first use and reused while B's address, strides,
  // dtype and extent stay the same. Only for B whose contents never change (weights, constants)
  // and the same in every batch item.
  void** b_pack;
} mw_gemm_args;

// out = softmax(scale · Q·Kᵀ + mask) · V, flash-style (online softmax, the full score matrix is
// never stored). Per (batch, head): Q [lq, d], K [lk, d], V [lk, dv], out [lq, dv]; all strided.
// causal: query i sees keys j <= i + (lk - lq) (so a decoder step over a kv-cache works).
// mask (optional, f32, additive) is indexed [b, h, i, j] with its own strides (0 to broadcast).
// K and V are f32, f16 or bf16 (kv_dtype; strides in elements): a decoder's cross-attention K/V
// kept in f16 halve the bytes each step streams.
typedef struct mw_attention_args {
  int64_t batch, heads, lq, lk, d, dv;
  const float* q; int64_t q_bs, q_hs, q_rs;   // batch, head, row strides; columns contiguous
  const void* k; int64_t k_bs, k_hs, k_rs;
  const void* v; int64_t v_bs, v_hs, v_rs;
  int32_t kv_dtype;                           // MW_F32, MW_F16 or MW_BF16
  float* out; int64_t o_bs, o_hs, o_rs;
  const float* mask; int64_t m_bs, m_hs, m_rs, m_cs;
  float scale;
  int32_t causal;
} mw_attention_args;

typedef struct mw_runtime {
  int32_t abi_version;
  int32_t num_threads;
  // Run fn over [0, n) in chunks of at least `grain`, on the pool; returns when all are done.
  void (*parallel_for)(int64_t n, int64_t grain, mw_task_fn fn, void* ctx);
  void (*sgemm)(const mw_gemm_args* args);
  void (*attention)(const mw_attention_args* args);
} mw_runtime;

// What a generated library exports.
//   int32_t mw_abi_version(void);                 returns MW_ABI_VERSION
//   int32_t mw_state_slots(void);                 how many state slots mw_run may fill
//   void mw_run(const mw_runtime* rt, void* const* buffers, const int64_t* dims, void** state);
// buffers: the plan's buffer pointers in plan order; dims: values of the symbolic dims in the
// order the plan lists them; state: the caller's mw_state_slots() slots, zeroed before the first
// run and kept between runs (or NULL: nothing is kept). The runtime owns what it puts there;
// the caller hands the slots back with release_state (see the addon).

#ifdef __cplusplus
}
#endif
