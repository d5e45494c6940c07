// Hand-written CUDA kernel templates that generated code includes: dtype load/store, warp and
// block reductions, tensor-core (mma.sync) and SIMT GEMM with a fused epilogue functor,
// flash-style attention, layer_norm and softmax row kernels, conv1d. The same source builds
// with nvcc and, with -DMW_HOST_HARNESS, with g++ on the CPU (harness/cuda_host.h), where the
// tensor-core instructions are replaced by a scalar model of the same fragment layout.
#pragma once

#ifdef MW_HOST_HARNESS
#include "../harness/cuda_host.h"
#else
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
typedef __half mw_f16;
typedef __nv_bfloat16 mw_bf16;
#define MW_EXPORT(name)
#define MW_DYN_SMEM(type) ([]() { extern __shared__ __align__(16) unsigned char mw_dyn_smem_[]; return reinterpret_cast<type*>(mw_dyn_smem_); }())
#endif

#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif

typedef long long mw_i64;

// ---- scalar loads/stores: every dtype is computed in f32 (or its own integer type) ----------
__device__ __forceinline__ float mw_ld(const float* p) { return *p; }
__device__ __forceinline__ float mw_ld(const mw_f16* p) { return __half2float(*p); }
__device__ __forceinline__ float mw_ld(const mw_bf16* p) { return __bfloat162float(*p); }
__device__ __forceinline__ int mw_ld(const int* p) { return *p; }
__device__ __forceinline__ mw_i64 mw_ld(const mw_i64* p) { return *p; }
__device__ __forceinline__ bool mw_ld(const bool* p) { return *p; }
__device__ __forceinline__ void mw_st(float* p, float v) { *p = v; }
__device__ __forceinline__ void mw_st(mw_f16* p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ void mw_st(mw_bf16* p, float v) { *p = __float2bfloat16_rn(v); }
__device__ __forceinline__ void mw_st(int* p, int v) { *p = v; }
__device__ __forceinline__ void mw_st(mw_i64* p, mw_i64 v) { *p = v; }
__device__ __forceinline__ void mw_st(bool* p, bool v) { *p = v; }

// ---- 16-bit storage as raw bits (the shared C printer keeps f16/bf16 buffers as uint16_t) ------
#ifndef MW_HOST_HARNESS
__device__ __forceinline__ float mw_h2f(uint16_t b) { return __half2float(__ushort_as_half(b)); }
__device__ __forceinline__ uint16_t mw_f2h(float f) { return __half_as_ushort(__float2half_rn(f)); }
__device__ __forceinline__ float mw_bf2f(uint16_t b) { return __bfloat162float(__ushort_as_bfloat16(b)); }
__device__ __forceinline__ uint16_t mw_f2bf(float f) { return __bfloat16_as_ushort(__float2bfloat16_rn(f)); }
#else
inline float mw_h2f(uint16_t b) { return mwh::f16ToF32(b); }
inline uint16_t mw_f2h(float f) { return mwh::f32ToF16(f); }
inline float mw_bf2f(uint16_t b) { return mwh::bf16ToF32(b); }
inline uint16_t mw_f2bf(float f) { return mwh::f32ToBf16(f); }
#endif

// ---- math used by the expression printer (names shared with the C++ backend's prelude) ------
__device__ __forceinline__ float mw_erf(float x) { return erff(x); }
__device__ __forceinline__ float mw_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ float mw_gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
__device__ __forceinline__ float mw_gelu_tanh(float x) {
  return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ float mw_silu(float x) { return x / (1.0f + expf(-x)); }
__device__ __forceinline__ float mw_relu(float x) { return x > 0.f ? x : 0.f; }
// NaN-propagating max/min, matching the reference interpreter (fmaxf would drop the NaN).
__device__ __forceinline__ float mw_max(float a, float b) { return (a != a || b != b) ? a + b : (a > b ? a : b); }
__device__ __forceinline__ float mw_min(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }

// ---- reductions ---------------------------------------------------------------------------
__device__ __forceinline__ float mw_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float mw_warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// Block-wide sum/max for blockDim.x a multiple of 32 (<= 1024); every thread gets the result.
// `scratch` holds 32 floats of shared memory; the trailing barrier lets callers reuse it.
__device__ __forceinline__ float mw_block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = mw_warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < nw ? scratch[lane] : 0.f;
  v = mw_warp_sum(v);
  __syncthreads();
  return v;
}
__device__ __forceinline__ float mw_block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = mw_warp_max(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < nw ? scratch[lane] : -INFINITY;
  v = mw_warp_max(v);
  __syncthreads();
  return v;
}

// Generic block reduction for the printed row kernels (sum/max/min over f32 or int64).
template <class T>
__device__ __forceinline__ T mw_lowest();
template <>
__device__ __forceinline__ float mw_lowest<float>() { return -INFINITY; }
template <>
__device__ __forceinline__ mw_i64 mw_lowest<mw_i64>() { return (mw_i64)(-0x7fffffffffffffffLL - 1); }
template <>
__device__ __forceinline__ int mw_lowest<int>() { return (int)(-0x7fffffff - 1); }
// int64_t is `long` on LP64 Linux, a different type from mw_i64 (`long long`).
template <>
__device__ __forceinline__ long mw_lowest<long>() { return (long)(-0x7fffffffffffffffL - 1); }
template <class T>
__device__ __forceinline__ T mw_highest();
template <>
__device__ __forceinline__ long mw_highest<long>() { return (long)0x7fffffffffffffffL; }
template <>
__device__ __forceinline__ float mw_highest<float>() { return INFINITY; }
template <>
__device__ __forceinline__ mw_i64 mw_highest<mw_i64>() { return (mw_i64)0x7fffffffffffffffLL; }
template <>
__device__ __forceinline__ int mw_highest<int>() { return (int)0x7fffffff; }

template <class T>
struct MwSum {
  __device__ __forceinline__ static T id() { return T(0); }
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
// max/min keep a NaN once seen, as the reference reductions do.
template <class T>
struct MwMax {
  __device__ __forceinline__ static T id() { return mw_lowest<T>(); }
  __device__ __forceinline__ T operator()(T a, T b) const { return (a > b || a != a) ? a : b; }
};
template <class T>
struct MwMin {
  __device__ __forceinline__ static T id() { return mw_highest<T>(); }
  __device__ __forceinline__ T operator()(T a, T b) const { return (a < b || a != a) ? a : b; }
};

// Every thread of the block gets the reduction of all threads' v. scratch: 32 T of shared memory.
template <class T, class Op>
__device__ __forceinline__ T mw_block_reduce(T v, Op op, void* scratch_raw) {
  T* scratch = static_cast<T*>(scratch_raw);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < nw ? scratch[lane] : Op::id();
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();
  return v;
}

// ---- GEMM -----------------------------------------------------------------------------------
// acc[b,i,j] = alpha * sum_k A[b,i,k] * B[b,k,j], handed to the epilogue functor, which stores it
// (and anything else the plan fused): `void operator()(float acc, mw_i64 b, mw_i64 i, mw_i64 j)`.
// A and B are strided (elements), so transposed or broadcast (stride 0) operands need no copy.
struct MwGemmShape {
  mw_i64 batch, m, n, k;
  mw_i64 a_bs, a_rs, a_cs;  // A strides: batch, row (i), col (k)
  mw_i64 b_bs, b_rs, b_cs;  // B strides: batch, row (k), col (j)
  float alpha;
};

// The plain epilogue: C[b,i,j] = acc, C with its own batch and row strides (j contiguous).
template <class TC>
struct MwEpiStore {
  TC* c;
  mw_i64 c_bs, c_rs;
  __device__ __forceinline__ void operator()(float v, mw_i64 b, mw_i64 i, mw_i64 j) const {
    mw_st(c + b * c_bs + i * c_rs + j, v);
  }
};

// SIMT path (f32, or mixed dtypes): 64x64 tile, 256 threads, each thread a 4x4 micro-tile.
#define MW_SG_BM 64
#define MW_SG_BN 64
#define MW_SG_BK 16
template <class TA, class TB, class Epi>
__device__ __forceinline__ void mw_gemm_simt(const TA* __restrict__ A, const TB* __restrict__ B, const MwGemmShape& s,
                                             const Epi& epi) {
  __shared__ float As[MW_SG_BK][MW_SG_BM + 4];
  __shared__ float Bs[MW_SG_BK][MW_SG_BN + 4];
  const mw_i64 bz = blockIdx.z, i0 = (mw_i64)blockIdx.y * MW_SG_BM, j0 = (mw_i64)blockIdx.x * MW_SG_BN;
  const TA* Ab = A + bz * s.a_bs;
  const TB* Bb = B + bz * s.b_bs;
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  float acc[4][4];
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++) acc[r][c] = 0.f;
  // Load order follows the contiguous axis of each operand so global reads coalesce.
  const bool a_k_contig = s.a_cs == 1, b_j_contig = s.b_cs == 1;
  for (mw_i64 k0 = 0; k0 < s.k; k0 += MW_SG_BK) {
    for (int e = tid; e < MW_SG_BM * MW_SG_BK; e += 256) {
      int kk = a_k_contig ? e % MW_SG_BK : e / MW_SG_BM, ii = a_k_contig ? e / MW_SG_BK : e % MW_SG_BM;
      mw_i64 gi = i0 + ii, gk = k0 + kk;
      As[kk][ii] = (gi < s.m && gk < s.k) ? (float)mw_ld(Ab + gi * s.a_rs + gk * s.a_cs) : 0.f;
    }
    for (int e = tid; e < MW_SG_BN * MW_SG_BK; e += 256) {
      int kk = b_j_contig ? e / MW_SG_BN : e % MW_SG_BK, jj = b_j_contig ? e % MW_SG_BN : e / MW_SG_BK;
      mw_i64 gj = j0 + jj, gk = k0 + kk;
      Bs[kk][jj] = (gj < s.n && gk < s.k) ? (float)mw_ld(Bb + gk * s.b_rs + gj * s.b_cs) : 0.f;
    }
    __syncthreads();
    for (int kk = 0; kk < MW_SG_BK; kk++) {
      float a[4], b[4];
      for (int r = 0; r < 4; r++) a[r] = As[kk][ty + 16 * r];
      for (int c = 0; c < 4; c++) b[c] = Bs[kk][tx + 16 * c];
      for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) acc[r][c] += a[r] * b[c];
    }
    __syncthreads();
  }
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++) {
      mw_i64 gi = i0 + ty + 16 * r, gj = j0 + tx + 16 * c;
      if (gi < s.m && gj < s.n) epi(acc[r][c] * s.alpha, bz, gi, gj);
    }
}

// Tensor-core path (f16/bf16 multiply, f32 accumulate): 128x128x32 (or 64x64x32) tiles, 256
// threads = 8 warps in a 2x4 grid, each warp 64x32 = 4x4 (or 32x16 = 2x2) mma.m16n8k16 tiles. Both tiles sit in shared memory with
// k contiguous (B transposed on load), so every fragment register is one 32-bit shared load.
// A may arrive in f32 (the plan keeps GEMM inputs in f32); it is rounded to T while staged,
// which is exact when its values came from T.
#define MW_TC_BK 32
#define MW_TC_PAD 8  // halves of padding per smem row: spreads fragment loads over all banks

template <class T>
struct MwMma;
template <>
struct MwMma<mw_f16> {
  static constexpr bool bf16 = false;
};
template <>
struct MwMma<mw_bf16> {
  static constexpr bool bf16 = true;
};

// One m16n8k16 step: d += a·b for the fragment layout of the PTX ISA (a: 4 regs, b: 2 regs,
// d: 4 floats). On the host the same lane-to-element mapping is evaluated from shared memory.
template <class T>
__device__ __forceinline__ void mw_mma_16816(float d[4], const T* As, int lda, const T* Bs, int ldb, int lane) {
  const int g = lane >> 2, t = lane & 3;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800 && !defined(MW_HOST_HARNESS)
  const uint32_t a0 = *reinterpret_cast<const uint32_t*>(As + g * lda + 2 * t);
  const uint32_t a1 = *reinterpret_cast<const uint32_t*>(As + (g + 8) * lda + 2 * t);
  const uint32_t a2 = *reinterpret_cast<const uint32_t*>(As + g * lda + 2 * t + 8);
  const uint32_t a3 = *reinterpret_cast<const uint32_t*>(As + (g + 8) * lda + 2 * t + 8);
  const uint32_t b0 = *reinterpret_cast<const uint32_t*>(Bs + g * ldb + 2 * t);
  const uint32_t b1 = *reinterpret_cast<const uint32_t*>(Bs + g * ldb + 2 * t + 8);
  if (MwMma<T>::bf16)
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  else
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#else
  // Scalar model: lane owns d0,d1 at (g, 2t..2t+1) and d2,d3 at (g+8, 2t..2t+1); B is [n][k].
  for (int e = 0; e < 4; e++) {
    const int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
    float sum = 0.f;
    for (int kk = 0; kk < 16; kk++) sum += mw_ld(As + row * lda + kk) * mw_ld(Bs + col * ldb + kk);
    d[e] += sum;
  }
#endif
}

// 8 consecutive elements as one 16-byte value of T (converted from f32 when A arrives in f32).
template <class T>
__device__ __forceinline__ uint4 mw_load8(const T* p) {
  return *reinterpret_cast<const uint4*>(p);
}
// Packing through bit operations, not a local array: a local array would live in stack memory.
#ifndef MW_HOST_HARNESS
__device__ __forceinline__ uint32_t mw_bits(mw_f16 h) { return __half_as_ushort(h); }
__device__ __forceinline__ uint32_t mw_bits(mw_bf16 h) { return __bfloat16_as_ushort(h); }
#else
inline uint32_t mw_bits(mw_f16 h) { return h.bits; }
inline uint32_t mw_bits(mw_bf16 h) { return h.bits; }
#endif
template <class T>
__device__ __forceinline__ uint32_t mw_pair(T lo, T hi) {
  return mw_bits(lo) | (mw_bits(hi) << 16);
}
template <class T>
__device__ __forceinline__ uint4 mw_load8(const float* p) {
  const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
  uint4 r;
  r.x = mw_pair(T(a.x), T(a.y));
  r.y = mw_pair(T(a.z), T(a.w));
  r.z = mw_pair(T(b.x), T(b.y));
  r.w = mw_pair(T(b.z), T(b.w));
  return r;
}
// 8 values from f(q), q = 0..7, packed as one 16-byte value (ragged tile edges).
template <class T, class F>
__device__ __forceinline__ uint4 mw_pack8(F f) {
  uint4 r;
  r.x = mw_pair<T>(f(0), f(1));
  r.y = mw_pair<T>(f(2), f(3));
  r.z = mw_pair<T>(f(4), f(5));
  r.w = mw_pair<T>(f(6), f(7));
  return r;
}
template <class TA, class T>
__device__ __forceinline__ bool mw_vec8_ok(const TA* p, mw_i64 row_stride) {
  return ((uintptr_t)p % 16) == 0 && (row_stride * (mw_i64)sizeof(TA)) % 16 == 0;
}

// BM x BN block tile (8 warps in a 2x4 grid, each warp (BM/2) x (BN/4) = MI x NI mma tiles).
template <int BM, int BN, class TA, class T, class Epi>
__device__ __forceinline__ void mw_gemm_tc_tile(const TA* __restrict__ A, const T* __restrict__ B, const MwGemmShape& s,
                                                const Epi& epi) {
  constexpr int MI = BM / 32, NI = BN / 32;
  __shared__ __align__(16) T As[BM][MW_TC_BK + MW_TC_PAD];
  __shared__ __align__(16) T Bs[BN][MW_TC_BK + MW_TC_PAD];
  const mw_i64 bz = blockIdx.z, i0 = (mw_i64)blockIdx.y * BM, j0 = (mw_i64)blockIdx.x * BN;
  const TA* Ab = A + bz * s.a_bs;
  const T* Bb = B + bz * s.b_bs;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = (warp >> 2) * (BM / 2), wn = (warp & 3) * (BN / 4);
  float acc[MI][NI][4];
#pragma unroll
  for (int a = 0; a < MI; a++)
#pragma unroll
    for (int b = 0; b < NI; b++)
#pragma unroll
      for (int e = 0; e < 4; e++) acc[a][b][e] = 0.f;
  const bool a_k_contig = s.a_cs == 1, b_k_contig = s.b_rs == 1;
  // k-contiguous, 16-byte aligned operands (activations, nn.Linear weights) move 8 at a time.
  const bool a_vec = a_k_contig && mw_vec8_ok<TA, T>(Ab, s.a_rs), b_vec = b_k_contig && mw_vec8_ok<T, T>(Bb, s.b_cs);
  const T zero = T(0.f);
  // Macros rather than lambdas: captured register arrays (acc, ra, rb) must never spill to memory.
#define MW_TC_MMA_TILE()                                                                                   \
  _Pragma("unroll") for (int ks = 0; ks < MW_TC_BK; ks += 16)                                              \
    _Pragma("unroll") for (int a = 0; a < MI; a++)                                                         \
      _Pragma("unroll") for (int b = 0; b < NI; b++)                                                       \
        mw_mma_16816<T>(acc[a][b], &As[wm + 16 * a][ks], MW_TC_BK + MW_TC_PAD, &Bs[wn + 8 * b][ks], \
                        MW_TC_BK + MW_TC_PAD, lane)
  if (a_vec && b_vec) {
    // Both operands k-contiguous: the next k-tile is fetched into registers while the tensor
    // cores work on the current one (one tile in flight, no extra shared memory).
    constexpr int AV = BM * MW_TC_BK / 8 / 256, BV = BN * MW_TC_BK / 8 / 256;
    uint4 ra[AV], rb[BV];
#define MW_TC_FETCH(K0)                                                                                        \
  do {                                                                                                         \
    const mw_i64 kf_ = (K0);                                                                                   \
    for (int v = 0; v < AV; v++) {                                                                             \
      const int e = tid + 256 * v, ii = e / (MW_TC_BK / 8), kk = (e % (MW_TC_BK / 8)) * 8;                     \
      const mw_i64 gi = i0 + ii, gk = kf_ + kk;                                                                \
      if (gi < s.m && gk + 8 <= s.k)                                                                           \
        ra[v] = mw_load8<T>(Ab + gi * s.a_rs + gk);                                                            \
      else                                                                                                     \
        ra[v] = mw_pack8<T>([&](int q) { return (gi < s.m && gk + q < s.k) ? T((float)mw_ld(Ab + gi * s.a_rs + gk + q)) : zero; }); \
    }                                                                                                          \
    for (int v = 0; v < BV; v++) {                                                                             \
      const int e = tid + 256 * v, jj = e / (MW_TC_BK / 8), kk = (e % (MW_TC_BK / 8)) * 8;                     \
      const mw_i64 gj = j0 + jj, gk = kf_ + kk;                                                                \
      if (gj < s.n && gk + 8 <= s.k)                                                                           \
        rb[v] = mw_load8<T>(Bb + gj * s.b_cs + gk);                                                            \
      else                                                                                                     \
        rb[v] = mw_pack8<T>([&](int q) { return (gj < s.n && gk + q < s.k) ? Bb[gj * s.b_cs + gk + q] : zero; }); \
    }                                                                                                          \
  } while (0)
    MW_TC_FETCH(0);
    for (mw_i64 k0 = 0; k0 < s.k; k0 += MW_TC_BK) {
      for (int v = 0; v < AV; v++) {
        const int e = tid + 256 * v;
        *reinterpret_cast<uint4*>(&As[e / (MW_TC_BK / 8)][(e % (MW_TC_BK / 8)) * 8]) = ra[v];
      }
      for (int v = 0; v < BV; v++) {
        const int e = tid + 256 * v;
        *reinterpret_cast<uint4*>(&Bs[e / (MW_TC_BK / 8)][(e % (MW_TC_BK / 8)) * 8]) = rb[v];
      }
      __syncthreads();
      if (k0 + MW_TC_BK < s.k) MW_TC_FETCH(k0 + MW_TC_BK);
      MW_TC_MMA_TILE();
      __syncthreads();
    }
  } else {
    for (mw_i64 k0 = 0; k0 < s.k; k0 += MW_TC_BK) {
      for (int e = tid; e < BM * MW_TC_BK; e += 256) {
        int kk = a_k_contig ? e % MW_TC_BK : e / BM, ii = a_k_contig ? e / MW_TC_BK : e % BM;
        mw_i64 gi = i0 + ii, gk = k0 + kk;
        As[ii][kk] = (gi < s.m && gk < s.k) ? T((float)mw_ld(Ab + gi * s.a_rs + gk * s.a_cs)) : zero;
      }
      for (int e = tid; e < BN * MW_TC_BK; e += 256) {
        int kk = b_k_contig ? e % MW_TC_BK : e / BN, jj = b_k_contig ? e / MW_TC_BK : e % BN;
        mw_i64 gj = j0 + jj, gk = k0 + kk;
        Bs[jj][kk] = (gj < s.n && gk < s.k) ? Bb[gk * s.b_rs + gj * s.b_cs] : zero;
      }
      __syncthreads();
      MW_TC_MMA_TILE();
      __syncthreads();
    }
  }
#undef MW_TC_FETCH
#undef MW_TC_MMA_TILE
  const int g = lane >> 2, t = lane & 3;
  // Fully unrolled, or acc would be indexed dynamically and live in local memory.
#pragma unroll
  for (int a = 0; a < MI; a++)
#pragma unroll
    for (int b = 0; b < NI; b++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        mw_i64 gi = i0 + wm + 16 * a + g + (e >= 2 ? 8 : 0), gj = j0 + wn + 8 * b + 2 * t + (e & 1);
        if (gi < s.m && gj < s.n) epi(acc[a][b][e] * s.alpha, bz, gi, gj);
      }
}

// Tile size by grid: the launcher picks 64x64 tiles when 128x128 ones would leave SMs idle
// (N = 384 projections over 1500 rows make only 36 large tiles).
template <class TA, class T, class Epi>
__device__ __forceinline__ void mw_gemm_tc(const TA* __restrict__ A, const T* __restrict__ B, const MwGemmShape& s,
                                           const Epi& epi) {
  if ((mw_i64)gridDim.x * 128 >= s.n && (mw_i64)gridDim.y * 128 >= s.m)
    mw_gemm_tc_tile<128, 128>(A, B, s, epi);
  else
    mw_gemm_tc_tile<64, 64>(A, B, s, epi);
}

// ---- attention ------------------------------------------------------------------------------
// out = softmax(scale·Q·Kᵀ + mask)·V per (batch, head), flash-style: K/V stream through shared
// memory in tiles and an online softmax keeps only running max/sum per query row, so the
// lq×lk score matrix never exists. 128 threads = 32 query rows × 4 threads; a thread owns D/4
// interleaved dims of its row's q and output. causal: query i sees keys j <= i + (lk - lq),
// which is what a decoder step over a kv-cache needs. Strides are in elements; columns contiguous.
struct MwAttnShape {
  mw_i64 heads, lq, lk;
  mw_i64 q_bs, q_hs, q_rs, k_bs, k_hs, k_rs, v_bs, v_hs, v_rs, o_bs, o_hs, o_rs;
  mw_i64 m_bs, m_hs, m_rs, m_cs;  // additive f32 mask strides (mask may be null)
  float scale;
  int causal;
};
#define MW_AT_BQ 32
#define MW_AT_BK 32
// Decode path (lq <= MW_AT_SMALL_LQ): flash-decoding. Grid (lq, batch·heads, splits): a block owns
// one query row and a contiguous chunk of keys; each of its 4 warps takes every 4th key of the chunk
// with the d-dim dot product spread over lanes (lane owns dims lane, lane+32, ...) and keeps its
// own online softmax. The warps merge in shared memory; with splits > 1 the block writes its
// (max, sum, unnormalised output) to a module-level scratch, and the last block of the row (atomic
// counter) merges all splits with the log-sum-exp rescale and resets the counter. The host
// (attentionLaunch in library.ts) picks splits within the capacities below, so the scratch is
// shared by every attention launch of a module: launches that overlap on two streams of one module
// would race (executables run one stream each and synchronise per run).
#define MW_AT_SMALL_LQ 8
#define MW_AT_PART_CAP (1 << 20)
#define MW_AT_CNT_CAP (1 << 14)
static __device__ float mw_at_part[MW_AT_PART_CAP];
static __device__ unsigned mw_at_cnt[MW_AT_CNT_CAP];

template <class T, int D>
__device__ __forceinline__ void mw_attention_decode(const T* __restrict__ Q, const T* __restrict__ K,
                                                    const T* __restrict__ V, T* __restrict__ O,
                                                    const float* __restrict__ mask, const MwAttnShape& s) {
  constexpr int NX = (D + 31) / 32;
  __shared__ float wm[4], wl[4], wo[4][D];
  __shared__ int last_s;
  const mw_i64 qi = blockIdx.x, bh = blockIdx.y, b = bh / s.heads, h = bh % s.heads;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int splits = gridDim.z, split = blockIdx.z;
  const mw_i64 chunk = (s.lk + splits - 1) / splits;
  const mw_i64 c0 = (mw_i64)split * chunk;
  mw_i64 c1 = c0 + chunk < s.lk ? c0 + chunk : s.lk;
  // Causal: the row sees keys j <= qi + (lk - lq); later keys contribute nothing.
  if (s.causal) {
    const mw_i64 lim = qi + (s.lk - s.lq) + 1;
    if (lim < c1) c1 = lim;
  }
  const T* Kb = K + b * s.k_bs + h * s.k_hs;
  const T* Vb = V + b * s.v_bs + h * s.v_hs;
  const float* Mrow = mask ? mask + b * s.m_bs + h * s.m_hs + qi * s.m_rs : nullptr;
  float q[NX], o[NX];
#pragma unroll
  for (int x = 0; x < NX; x++) {
    const int dd = lane + 32 * x;
    q[x] = dd < D ? mw_ld(Q + b * s.q_bs + h * s.q_hs + qi * s.q_rs + dd) * s.scale : 0.f;
    o[x] = 0.f;
  }
  float m = -INFINITY, l = 0.f;
  for (mw_i64 j = c0 + warp; j < c1; j += 4) {
    const T* kr = Kb + j * s.k_rs;
    float p = 0.f;
#pragma unroll
    for (int x = 0; x < NX; x++) {
      const int dd = lane + 32 * x;
      if (dd < D) p += q[x] * mw_ld(kr + dd);
    }
    p = mw_warp_sum(p);
    if (Mrow) p += Mrow[j * s.m_cs];
    const float mnew = fmaxf(m, p);
    if (mnew == -INFINITY) continue;  // a fully masked key so far: nothing to accumulate
    const float corr = expf(m - mnew), e = expf(p - mnew);
    l = l * corr + e;
    const T* vr = Vb + j * s.v_rs;
#pragma unroll
    for (int x = 0; x < NX; x++) {
      const int dd = lane + 32 * x;
      o[x] = o[x] * corr + (dd < D ? e * mw_ld(vr + dd) : 0.f);
    }
    m = mnew;
  }
  if (lane == 0) {
    wm[warp] = m;
    wl[warp] = l;
  }
#pragma unroll
  for (int x = 0; x < NX; x++)
    if (lane + 32 * x < D) wo[warp][lane + 32 * x] = o[x];
  __syncthreads();
  const float bm = fmaxf(fmaxf(wm[0], wm[1]), fmaxf(wm[2], wm[3]));
  float wf[4], bl = 0.f;
  for (int w = 0; w < 4; w++) {
    wf[w] = bm == -INFINITY ? 0.f : expf(wm[w] - bm);
    bl += wl[w] * wf[w];
  }
  const mw_i64 row = bh * s.lq + qi;
  T* Ob = O + b * s.o_bs + h * s.o_hs + qi * s.o_rs;
  if (splits == 1) {
    // A row with every key masked has l = 0: 0 · (1/0) = NaN, as PyTorch gives.
    const float inv = 1.0f / bl;
    for (int dd = threadIdx.x; dd < D; dd += blockDim.x)
      mw_st(Ob + dd, (wo[0][dd] * wf[0] + wo[1][dd] * wf[1] + wo[2][dd] * wf[2] + wo[3][dd] * wf[3]) * inv);
    return;
  }
  float* part = mw_at_part + (row * splits + split) * (D + 2);
  if (threadIdx.x == 0) {
    part[0] = bm;
    part[1] = bl;
  }
  for (int dd = threadIdx.x; dd < D; dd += blockDim.x)
    part[2 + dd] = wo[0][dd] * wf[0] + wo[1][dd] * wf[1] + wo[2][dd] * wf[2] + wo[3][dd] * wf[3];
  // Publish the partial before counting it; the last block reads everyone's through volatile loads.
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) last_s = atomicAdd(&mw_at_cnt[row], 1u) == (unsigned)(splits - 1);
  __syncthreads();
  if (!last_s) return;
  __threadfence();
  const volatile float* rp = mw_at_part + row * splits * (D + 2);
  float gm = -INFINITY;
  for (int t = 0; t < splits; t++) gm = fmaxf(gm, rp[t * (D + 2)]);
  float gl = 0.f;
  for (int t = 0; t < splits; t++) {
    const float pm = rp[t * (D + 2)];
    gl += pm == -INFINITY ? 0.f : rp[t * (D + 2) + 1] * expf(pm - gm);
  }
  const float inv = 1.0f / gl;
  for (int dd = threadIdx.x; dd < D; dd += blockDim.x) {
    float acc = 0.f;
    for (int t = 0; t < splits; t++) {
      const float pm = rp[t * (D + 2)];
      if (pm != -INFINITY) acc += rp[t * (D + 2) + 2 + dd] * expf(pm - gm);
    }
    mw_st(Ob + dd, acc * inv);
  }
  if (threadIdx.x == 0) mw_at_cnt[row] = 0u;  // ready for the next launch
}

// Tensor-core path (f16/bf16, D % 16 == 0, D <= 64; lq > MW_AT_SMALL_LQ): 64 query rows per
// block, a warp owns 16 rows. S = Q·Kᵀ and O += P·V are m16n8k16 mma.sync steps over shared
// memory (K as [key][dim] and V transposed to [dim][key]: the B operand is [n][k]); the online
// softmax runs on the S fragments (a lane holds rows g and g+8; the 4 lanes of a row combine by
// xor-shuffles). P is rounded to T for the second mma and the row sums add the rounded values, so
// the normalisation matches the weights actually applied.
template <class T>
struct MwIsHalf {
  static constexpr bool value = false;
};
template <>
struct MwIsHalf<mw_f16> {
  static constexpr bool value = true;
};
template <>
struct MwIsHalf<mw_bf16> {
  static constexpr bool value = true;
};
#define MW_AT_MMA_BQ 64
#define MW_AT_MMA_BK 64
// One element of storage type TS as the 16-bit compute type T (a copy when they are the same).
template <class T>
__device__ __forceinline__ T mw_as(const T* p) {
  return *p;
}
template <class T>
__device__ __forceinline__ T mw_as(const float* p) {
  return T(*p);
}

// TS: the storage type of Q, K, V and O; T: the 16-bit type the tensor cores compute in. An f32
// TS (the activations of a half-precision model whose graph keeps f32) is rounded to T as the
// tiles are staged, as the f16/bf16 GEMM does with an f32 A.
template <class TS, class T, int D>
__device__ __forceinline__ void mw_attention_mma(const TS* __restrict__ Q, const TS* __restrict__ K, const TS* __restrict__ V,
                                                 TS* __restrict__ O, const float* __restrict__ mask, const MwAttnShape& s) {
  constexpr int BQ = MW_AT_MMA_BQ, BK = MW_AT_MMA_BK, LD = D + 8, LP = BK + 8, NT = BK / 8, OT = D / 8;
  __shared__ __align__(16) T Qs[BQ][LD];
  __shared__ __align__(16) T Ks[BK][LD];
  __shared__ __align__(16) T Vt[D][LP];
  __shared__ __align__(16) T Ps[BQ][LP];
  const mw_i64 bh = blockIdx.y, b = bh / s.heads, h = bh % s.heads;
  const mw_i64 q0 = (mw_i64)blockIdx.x * BQ;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
  const T zero = T(0.f);
  const TS* Qb = Q + b * s.q_bs + h * s.q_hs;
  const TS* Kb = K + b * s.k_bs + h * s.k_hs;
  const TS* Vb = V + b * s.v_bs + h * s.v_hs;
  for (int e = tid; e < BQ * D; e += 128) {
    const int r = e / D, dd = e % D;
    const mw_i64 gi = q0 + r;
    Qs[r][dd] = gi < s.lq ? mw_as<T>(Qb + gi * s.q_rs + dd) : zero;
  }
  const mw_i64 qa = q0 + 16 * warp + g;  // this lane's rows: qa and qa + 8
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  float acc[OT][4];
#pragma unroll
  for (int o = 0; o < OT; o++)
#pragma unroll
    for (int e = 0; e < 4; e++) acc[o][e] = 0.f;
  mw_i64 kend = s.lk;
  if (s.causal) {
    const mw_i64 last = q0 + BQ - 1 + (s.lk - s.lq) + 1;
    kend = last < s.lk ? last : s.lk;
  }
  // 16-byte aligned K/V rows move 8 elements per load (an eighth of the load instructions).
  const bool kv_vec = mw_vec8_ok<TS, T>(Kb, s.k_rs) && mw_vec8_ok<TS, T>(Vb, s.v_rs);
  for (mw_i64 k0 = 0; k0 < kend; k0 += BK) {
    if (kv_vec) {
      for (int e = tid; e < BK * D / 8; e += 128) {
        const int jj = e / (D / 8), dd = (e % (D / 8)) * 8;
        const mw_i64 gj = k0 + jj;
        uint4 kv, vv;
        kv.x = kv.y = kv.z = kv.w = vv.x = vv.y = vv.z = vv.w = 0u;  // zero bits are +0 in f16 and bf16
        if (gj < s.lk) {
          kv = mw_load8<T>(Kb + gj * s.k_rs + dd);
          vv = mw_load8<T>(Vb + gj * s.v_rs + dd);
        }
        *reinterpret_cast<uint4*>(&Ks[jj][dd]) = kv;
        // V is stored transposed: its 8 elements go to 8 rows of Vt, moved as raw 16-bit patterns.
#pragma unroll
        for (int i = 0; i < 8; i++) {
          const uint32_t w = i < 2 ? vv.x : i < 4 ? vv.y : i < 6 ? vv.z : vv.w;
          *reinterpret_cast<uint16_t*>(&Vt[dd + i][jj]) = (uint16_t)(w >> (16 * (i & 1)));
        }
      }
    } else {
      for (int e = tid; e < BK * D; e += 128) {
        const int jj = e / D, dd = e % D;
        const mw_i64 gj = k0 + jj;
        const bool in = gj < s.lk;
        Ks[jj][dd] = in ? mw_as<T>(Kb + gj * s.k_rs + dd) : zero;
        Vt[dd][jj] = in ? mw_as<T>(Vb + gj * s.v_rs + dd) : zero;
      }
    }
    __syncthreads();
    float sc[NT][4];
#pragma unroll
    for (int n = 0; n < NT; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) sc[n][e] = 0.f;
#pragma unroll
    for (int ks = 0; ks < D; ks += 16)
#pragma unroll
      for (int n = 0; n < NT; n++) mw_mma_16816<T>(sc[n], &Qs[16 * warp][ks], LD, &Ks[8 * n][ks], LD, lane);
    float tmax[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < NT; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int rr = e >> 1;
        const mw_i64 qi = qa + 8 * rr, gj = k0 + 8 * n + 2 * t + (e & 1);
        const bool ok = qi < s.lq && gj < s.lk && (!s.causal || gj <= qi + (s.lk - s.lq));
        float v = sc[n][e] * s.scale;
        if (ok && mask) v += mask[b * s.m_bs + h * s.m_hs + qi * s.m_rs + gj * s.m_cs];
        sc[n][e] = ok ? v : -INFINITY;
        tmax[rr] = fmaxf(tmax[rr], sc[n][e]);
      }
    float corr[2], lsum[2] = {0.f, 0.f};
#pragma unroll
    for (int rr = 0; rr < 2; rr++) {
      tmax[rr] = fmaxf(tmax[rr], __shfl_xor_sync(0xffffffffu, tmax[rr], 1));
      tmax[rr] = fmaxf(tmax[rr], __shfl_xor_sync(0xffffffffu, tmax[rr], 2));
      const float mnew = fmaxf(m[rr], tmax[rr]);
      corr[rr] = m[rr] == -INFINITY ? 0.f : expf(m[rr] - mnew);  // nothing accumulated yet: acc, l are 0
      m[rr] = mnew;
    }
#pragma unroll
    for (int n = 0; n < NT; n++)
#pragma unroll
      for (int e = 0; e < 4; e++) {
        const int rr = e >> 1;
        const T pt = T(sc[n][e] == -INFINITY ? 0.f : expf(sc[n][e] - m[rr]));
        lsum[rr] += mw_ld(&pt);
        Ps[16 * warp + g + 8 * rr][8 * n + 2 * t + (e & 1)] = pt;
      }
#pragma unroll
    for (int rr = 0; rr < 2; rr++) {
      lsum[rr] += __shfl_xor_sync(0xffffffffu, lsum[rr], 1);
      lsum[rr] += __shfl_xor_sync(0xffffffffu, lsum[rr], 2);
      l[rr] = l[rr] * corr[rr] + lsum[rr];
    }
#pragma unroll
    for (int o = 0; o < OT; o++)
#pragma unroll
      for (int e = 0; e < 4; e++) acc[o][e] *= corr[e >> 1];
    __syncwarp();  // a warp reads back only the P rows it wrote
#pragma unroll
    for (int ks = 0; ks < BK; ks += 16)
#pragma unroll
      for (int o = 0; o < OT; o++) mw_mma_16816<T>(acc[o], &Ps[16 * warp][ks], LP, &Vt[8 * o][ks], LP, lane);
    __syncthreads();
  }
  TS* Ob = O + b * s.o_bs + h * s.o_hs;
  // A row with every key masked has l = 0: 0 · (1/0) = NaN, as PyTorch gives.
  const float inv[2] = {1.0f / l[0], 1.0f / l[1]};
#pragma unroll
  for (int o = 0; o < OT; o++)
#pragma unroll
    for (int e = 0; e < 4; e++) {
      const mw_i64 qi = qa + 8 * (e >> 1);
      if (qi < s.lq) mw_st(Ob + qi * s.o_rs + 8 * o + 2 * t + (e & 1), acc[o][e] * inv[e >> 1]);
    }
}

template <class T, int D>
__device__ __forceinline__ void mw_attention_simt(const T* __restrict__ Q, const T* __restrict__ K, const T* __restrict__ V,
                                                  T* __restrict__ O, const float* __restrict__ mask, const MwAttnShape& s) {
  constexpr int DT = D / 4;
  // With D % 16 == 0 a thread owns dims 16i + 4·part + {0..3}: its shared-memory reads are float4s
  // (a quarter of the load instructions), and the 4 threads of a row read 64 contiguous bytes.
  // Rows padded by 4 floats keep the float4s aligned. Otherwise dims part + 4x, rows padded by 1.
  constexpr bool VEC = D % 16 == 0;
  constexpr int DP = VEC ? D + 4 : D + 1;
  __shared__ __align__(16) float Ks[MW_AT_BK][DP];
  __shared__ __align__(16) float Vs[MW_AT_BK][DP];
  const mw_i64 bh = blockIdx.y, b = bh / s.heads, h = bh % s.heads;
  const int tid = threadIdx.x, r = tid >> 2, part = tid & 3;
  const mw_i64 qi = (mw_i64)blockIdx.x * MW_AT_BQ + r;
  const bool valid = qi < s.lq;
  const T* Kb = K + b * s.k_bs + h * s.k_hs;
  const T* Vb = V + b * s.v_bs + h * s.v_hs;
  float q[DT], o[DT];
#pragma unroll
  for (int x = 0; x < DT; x++) {
    const int dd = VEC ? 16 * (x >> 2) + 4 * part + (x & 3) : part + 4 * x;
    q[x] = valid ? mw_ld(Q + b * s.q_bs + h * s.q_hs + qi * s.q_rs + dd) * s.scale : 0.f;
    o[x] = 0.f;
  }
  float m = -INFINITY, l = 0.f;
  // Keys past this limit are masked for every row of the block under causal masking.
  mw_i64 kend = s.lk;
  if (s.causal) {
    mw_i64 last = (mw_i64)blockIdx.x * MW_AT_BQ + MW_AT_BQ - 1 + (s.lk - s.lq) + 1;
    kend = last < s.lk ? last : s.lk;
  }
  for (mw_i64 k0 = 0; k0 < kend; k0 += MW_AT_BK) {
    for (int e = tid; e < MW_AT_BK * D; e += 128) {
      int jj = e / D, dd = e % D;
      mw_i64 gj = k0 + jj;
      Ks[jj][dd] = gj < s.lk ? mw_ld(Kb + gj * s.k_rs + dd) : 0.f;
      Vs[jj][dd] = gj < s.lk ? mw_ld(Vb + gj * s.v_rs + dd) : 0.f;
    }
    __syncthreads();
    // sc stays in registers only if every loop over it is unrolled.
    float sc[MW_AT_BK];
    float tmax = -INFINITY;
#pragma unroll
    for (int jj = 0; jj < MW_AT_BK; jj++) {
      float p = 0.f;
      if (VEC) {
#pragma unroll
        for (int x = 0; x < DT; x += 4) {
          const float4 kv = *reinterpret_cast<const float4*>(&Ks[jj][4 * x + 4 * part]);
          p += q[x] * kv.x + q[x + 1] * kv.y + q[x + 2] * kv.z + q[x + 3] * kv.w;
        }
      } else {
#pragma unroll
        for (int x = 0; x < DT; x++) p += q[x] * Ks[jj][part + 4 * x];
      }
      // The 4 threads of a row are adjacent lanes: two xor-shuffles complete the dot product.
      p += __shfl_xor_sync(0xffffffffu, p, 1);
      p += __shfl_xor_sync(0xffffffffu, p, 2);
      mw_i64 gj = k0 + jj;
      bool ok = valid && gj < s.lk && (!s.causal || gj <= qi + (s.lk - s.lq));
      if (ok && mask) p += mask[b * s.m_bs + h * s.m_hs + qi * s.m_rs + gj * s.m_cs];
      sc[jj] = ok ? p : -INFINITY;
      tmax = fmaxf(tmax, sc[jj]);
    }
    const float mnew = fmaxf(m, tmax);
    if (mnew != -INFINITY) {
      const float corr = expf(m - mnew);  // m = -inf on the first live tile: corr = 0
      l *= corr;
#pragma unroll
      for (int x = 0; x < DT; x++) o[x] *= corr;
#pragma unroll
      for (int jj = 0; jj < MW_AT_BK; jj++) {
        const float p = expf(sc[jj] - mnew);
        l += p;
        if (VEC) {
#pragma unroll
          for (int x = 0; x < DT; x += 4) {
            const float4 vv = *reinterpret_cast<const float4*>(&Vs[jj][4 * x + 4 * part]);
            o[x] += p * vv.x;
            o[x + 1] += p * vv.y;
            o[x + 2] += p * vv.z;
            o[x + 3] += p * vv.w;
          }
        } else {
#pragma unroll
          for (int x = 0; x < DT; x++) o[x] += p * Vs[jj][part + 4 * x];
        }
      }
      m = mnew;
    }
    __syncthreads();
  }
  if (valid) {
    // A row with every key masked has l = 0; PyTorch yields NaN there, and so do we.
    const float inv = 1.0f / l;
    T* Ob = O + b * s.o_bs + h * s.o_hs + qi * s.o_rs;
#pragma unroll
    for (int x = 0; x < DT; x++) mw_st(Ob + (VEC ? 16 * (x >> 2) + 4 * part + (x & 3) : part + 4 * x), o[x] * inv);
  }
}

// lq <= MW_AT_SMALL_LQ: flash-decoding; a 16-bit compute type TC (by default T) with D % 16 == 0,
// D <= 64: tensor cores, 64 rows per block; otherwise SIMT, 32 rows per block. TC = mw_f16 with
// T = float runs f32 tensors through the tensor cores in f16. attentionLaunch (library.ts)
// mirrors this choice.
template <class T, int D, class TC = T>
__device__ __forceinline__ void mw_attention(const T* __restrict__ Q, const T* __restrict__ K, const T* __restrict__ V,
                                             T* __restrict__ O, const float* __restrict__ mask, const MwAttnShape& s) {
  static_assert(D % 4 == 0 && D <= 256, "head dim must be a multiple of 4, at most 256");
  if (s.lq <= MW_AT_SMALL_LQ) {
    mw_attention_decode<T, D>(Q, K, V, O, mask, s);
    return;
  }
  // Only one of the two tile paths is instantiated, so their shared memory never adds up.
  if constexpr (MwIsHalf<TC>::value && D % 16 == 0 && D <= 64)
    mw_attention_mma<T, TC, D>(Q, K, V, O, mask, s);
  else
    mw_attention_simt<T, D>(Q, K, V, O, mask, s);
}

// ---- row kernels: one block per row, contiguous rows --------------------------------------
// layer_norm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta, with the
// two-pass variance in f32 (the row stays in cache between passes).
template <class T, class TG>
__device__ __forceinline__ void mw_layer_norm_row(const T* __restrict__ X, const TG* __restrict__ gamma,
                                                  const TG* __restrict__ beta, T* __restrict__ Y, mw_i64 n, float eps) {
  __shared__ float red[32];
  const T* x = X + (mw_i64)blockIdx.x * n;
  T* y = Y + (mw_i64)blockIdx.x * n;
  float sum = 0.f;
  for (mw_i64 i = threadIdx.x; i < n; i += blockDim.x) sum += mw_ld(x + i);
  const float mean = mw_block_sum(sum, red) / (float)n;
  float sq = 0.f;
  for (mw_i64 i = threadIdx.x; i < n; i += blockDim.x) {
    const float d = mw_ld(x + i) - mean;
    sq += d * d;
  }
  const float rstd = rsqrtf(mw_block_sum(sq, red) / (float)n + eps);
  for (mw_i64 i = threadIdx.x; i < n; i += blockDim.x) {
    float v = (mw_ld(x + i) - mean) * rstd;
    if (gamma) v *= mw_ld(gamma + i);
    if (beta) v += mw_ld(beta + i);
    mw_st(y + i, v);
  }
}

// softmax / log_softmax over the last axis.
template <class T, bool LOG>
__device__ __forceinline__ void mw_softmax_row(const T* __restrict__ X, T* __restrict__ Y, mw_i64 n) {
  __shared__ float red[32];
  const T* x = X + (mw_i64)blockIdx.x * n;
  T* y = Y + (mw_i64)blockIdx.x * n;
  float mx = -INFINITY;
  for (mw_i64 i = threadIdx.x; i < n; i += blockDim.x) mx = fmaxf(mx, mw_ld(x + i));
  mx = mw_block_max(mx, red);
  float sum = 0.f;
  for (mw_i64 i = threadIdx.x; i < n; i += blockDim.x) sum += expf(mw_ld(x + i) - mx);
  sum = mw_block_sum(sum, red);
  const float inv = 1.0f / sum, lse = logf(sum);
  for (mw_i64 i = threadIdx.x; i < n; i += blockDim.x) {
    const float v = mw_ld(x + i) - mx;
    mw_st(y + i, LOG ? v - lse : expf(v) * inv);
  }
}

// ---- conv1d ---------------------------------------------------------------------------------
// out[b, co, t] = bias[co] + sum_{ci,k} w[co, ci, k] · x[b, ci, t·stride + k·dilation − pad].
// One thread per output (a block shares one output channel, so weight reads are broadcasts).
struct MwConvShape {
  mw_i64 batch, cin, cout, lin, lout, ksize, stride, pad, dilation;
  int gelu;  // 1: apply exact GELU to the result (Whisper's conv stem)
};
template <class T, class TW>
__device__ __forceinline__ void mw_conv1d(const T* __restrict__ X, const TW* __restrict__ W, const TW* __restrict__ bias,
                                          T* __restrict__ Y, const MwConvShape& s) {
  const mw_i64 co = blockIdx.y, b = blockIdx.z;
  const mw_i64 t = (mw_i64)blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= s.lout) return;
  const T* xb = X + b * s.cin * s.lin;
  const TW* w = W + co * s.cin * s.ksize;
  float acc = bias ? mw_ld(bias + co) : 0.f;
  const mw_i64 base = t * s.stride - s.pad;
  for (mw_i64 ci = 0; ci < s.cin; ci++)
    for (mw_i64 k = 0; k < s.ksize; k++) {
      const mw_i64 p = base + k * s.dilation;
      if (p >= 0 && p < s.lin) acc += mw_ld(w + ci * s.ksize + k) * mw_ld(xb + ci * s.lin + p);
    }
  mw_st(Y + (b * s.cout + co) * s.lout + t, s.gelu ? mw_gelu(acc) : acc);
}
