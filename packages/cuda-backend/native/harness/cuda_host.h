// The CPU execution harness: maps the CUDA programming model onto one host thread so that
// generated kernel source compiles with g++ (-DMW_HOST_HARNESS) and runs unchanged. Each GPU
// thread of a block is a fiber (ucontext); blocks run one after another, so `__shared__` can be
// a function-local static. __syncthreads/__syncwarp are fiber barriers, warp shuffles exchange
// through a per-block scratch array between two warp barriers. A barrier that can never
// complete (divergent __syncthreads) is reported as an error instead of hanging.
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

namespace mwh {

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

struct Fiber {
  ucontext_t ctx;
  dim3 tid;
  unsigned linear = 0;
  bool done = false;
};

struct State {
  dim3 grid, block, bid;
  unsigned nthreads = 0;
  std::vector<Fiber> fibers;
  std::vector<std::unique_ptr<char[]>> stacks;
  ucontext_t sched;
  Fiber* cur = nullptr;
  unsigned long blockGen = 0, progress = 0;
  unsigned blockArrived = 0, doneCount = 0;
  std::vector<unsigned long> warpGen;
  std::vector<unsigned> warpArrived, warpDone, warpSize;
  std::vector<uint64_t> xchg;
  std::vector<unsigned char> dynSmem;
  std::function<void()> body;
  std::string error;
};

inline State*& state() {
  static thread_local State* s = nullptr;
  return s;
}

inline void yield() {
  State* s = state();
  swapcontext(&s->cur->ctx, &s->sched);
}

// Exited threads count as arrived, as on the GPU, so early-returning threads do not deadlock.
inline void releaseIfComplete(State* s) {
  if (s->blockArrived > 0 && s->blockArrived + s->doneCount >= s->nthreads) {
    s->blockArrived = 0;
    s->blockGen++;
  }
}
inline void releaseWarpIfComplete(State* s, unsigned w) {
  if (s->warpArrived[w] > 0 && s->warpArrived[w] + s->warpDone[w] >= s->warpSize[w]) {
    s->warpArrived[w] = 0;
    s->warpGen[w]++;
  }
}

inline void syncthreads() {
  State* s = state();
  const unsigned long gen = s->blockGen;
  s->blockArrived++;
  s->progress++;
  releaseIfComplete(s);
  while (s->blockGen == gen) yield();
}

inline void syncwarp() {
  State* s = state();
  const unsigned w = s->cur->linear / 32;
  const unsigned long gen = s->warpGen[w];
  s->warpArrived[w]++;
  s->progress++;
  releaseWarpIfComplete(s, w);
  while (s->warpGen[w] == gen) yield();
}

// Lane `src` of the caller's warp, or the caller itself when src is not a live lane.
template <class T>
inline T shuffle(T v, int srcLane) {
  static_assert(sizeof(T) <= 8, "shuffle of values wider than 8 bytes");
  State* s = state();
  const unsigned me = s->cur->linear, base = me & ~31u;
  uint64_t slot = 0;
  memcpy(&slot, &v, sizeof(T));
  s->xchg[me] = slot;
  syncwarp();
  const unsigned src = base + (unsigned)srcLane;
  T out = v;
  if (srcLane >= 0 && srcLane < 32 && src < s->nthreads) memcpy(&out, &s->xchg[src], sizeof(T));
  syncwarp();
  return out;
}

inline void fiberEntry() {
  State* s = state();
  try {
    s->body();
  } catch (const std::exception& e) {
    if (s->error.empty()) s->error = e.what();
  }
  Fiber* f = s->cur;
  f->done = true;
  s->doneCount++;
  s->warpDone[f->linear / 32]++;
  s->progress++;
  releaseIfComplete(s);
  releaseWarpIfComplete(s, f->linear / 32);
  // uc_link returns to the scheduler.
}

// Run body() as grid×block GPU threads. Returns 0, or 1 with a message in err.
inline int run(const unsigned* g, const unsigned* b, unsigned smem, std::function<void()> body, char* err, int errLen) {
  State st;
  st.grid = {g[0], g[1], g[2]};
  st.block = {b[0], b[1], b[2]};
  st.nthreads = b[0] * b[1] * b[2];
  st.body = std::move(body);
  const unsigned nw = (st.nthreads + 31) / 32;
  st.warpGen.assign(nw, 0);
  st.warpSize.resize(nw);
  for (unsigned w = 0; w < nw; w++) st.warpSize[w] = std::min(32u, st.nthreads - 32 * w);
  st.xchg.assign(st.nthreads, 0);
  st.dynSmem.assign(smem + 16, 0);
  st.fibers.resize(st.nthreads);
  // Fiber stacks: kernels keep small register arrays, so 64 KiB each is ample.
  constexpr size_t kStack = 64 * 1024;
  for (unsigned i = 0; i < st.nthreads; i++) st.stacks.emplace_back(new char[kStack]);
  State* prev = state();
  state() = &st;
  int rc = 0;
  for (unsigned bz = 0; bz < g[2] && !rc; bz++)
    for (unsigned by = 0; by < g[1] && !rc; by++)
      for (unsigned bx = 0; bx < g[0] && !rc; bx++) {
        st.bid = {bx, by, bz};
        st.blockGen = 0;
        st.blockArrived = st.doneCount = 0;
        st.warpArrived.assign(nw, 0);
        st.warpDone.assign(nw, 0);
        for (unsigned i = 0; i < st.nthreads; i++) {
          Fiber& f = st.fibers[i];
          f.linear = i;
          f.tid = {i % b[0], (i / b[0]) % b[1], i / (b[0] * b[1])};
          f.done = false;
          getcontext(&f.ctx);
          f.ctx.uc_stack.ss_sp = st.stacks[i].get();
          f.ctx.uc_stack.ss_size = kStack;
          f.ctx.uc_link = &st.sched;
          makecontext(&f.ctx, fiberEntry, 0);
        }
        for (;;) {
          const unsigned long before = st.progress;
          for (auto& f : st.fibers)
            if (!f.done) {
              st.cur = &f;
              swapcontext(&st.sched, &f.ctx);
            }
          if (st.doneCount == st.nthreads) break;
          if (st.progress == before) {
            snprintf(err, errLen, "deadlock in block (%u,%u,%u): %u of %u threads wait at a barrier that the others never reach",
                     bx, by, bz, st.nthreads - st.doneCount, st.nthreads);
            rc = 1;
            break;
          }
        }
        if (!rc && !st.error.empty()) {
          snprintf(err, errLen, "%s", st.error.c_str());
          rc = 1;
        }
      }
  state() = prev;
  return rc;
}

template <class... A, size_t... I>
inline void callWith(void (*f)(A...), void** args, std::index_sequence<I...>) {
  f(*static_cast<std::remove_reference_t<A>*>(args[I])...);
}

template <class... A>
inline int launch(void (*f)(A...), const unsigned* g, const unsigned* b, unsigned smem, void** args, char* err, int n) {
  return run(g, b, smem, [=] { callWith(f, args, std::index_sequence_for<A...>{}); }, err, n);
}

// ---- 16-bit floats (round to nearest even, as the GPU's __float2half_rn) ---------------------
inline uint16_t f32ToF16(float v) {
  uint32_t x;
  memcpy(&x, &v, 4);
  const uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const int shift = 14 - e;
    const uint32_t half = 1u << (shift - 1), rest = mant & ((1u << shift) - 1);
    uint32_t m = mant >> shift;
    if (rest > half || (rest == half && (m & 1))) m++;
    return sign | m;
  }
  const uint32_t rest = mant & 0x1fff;
  uint32_t out = sign | ((uint32_t)e << 10) | (mant >> 13);
  if (rest > 0x1000 || (rest == 0x1000 && (out & 1))) out++;
  return (uint16_t)out;
}
inline float f16ToF32(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = ldexpf((float)mant, -24);
    return sign ? -f : f;
  }
  uint32_t x = exp == 0x1f ? (sign | 0x7f800000 | (mant << 13)) : (sign | ((exp - 15 + 127) << 23) | (mant << 13));
  memcpy(&f, &x, 4);
  return f;
}
inline uint16_t f32ToBf16(float v) {
  uint32_t x;
  memcpy(&x, &v, 4);
  if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff)) return (uint16_t)((x >> 16) | 0x40);
  return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}
inline float bf16ToF32(uint16_t h) {
  uint32_t x = (uint32_t)h << 16;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

}  // namespace mwh

struct mw_f16 {
  uint16_t bits;
  mw_f16() = default;
  explicit mw_f16(float f) : bits(mwh::f32ToF16(f)) {}
};
struct mw_bf16 {
  uint16_t bits;
  mw_bf16() = default;
  explicit mw_bf16(float f) : bits(mwh::f32ToBf16(f)) {}
};
struct __attribute__((aligned(16))) uint4 {
  unsigned x, y, z, w;
};
struct __attribute__((aligned(16))) float4 {
  float x, y, z, w;
};
typedef mw_f16 __half;
typedef mw_bf16 __nv_bfloat16;
inline float __half2float(mw_f16 h) { return mwh::f16ToF32(h.bits); }
inline mw_f16 __float2half_rn(float f) { return mw_f16(f); }
inline float __bfloat162float(mw_bf16 h) { return mwh::bf16ToF32(h.bits); }
inline mw_bf16 __float2bfloat16_rn(float f) { return mw_bf16(f); }

#define threadIdx (mwh::state()->cur->tid)
#define blockIdx (mwh::state()->bid)
#define blockDim (mwh::state()->block)
#define gridDim (mwh::state()->grid)
#define MW_DYN_SMEM(type) (reinterpret_cast<type*>(mwh::state()->dynSmem.data()))

inline void __syncthreads() { mwh::syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { mwh::syncwarp(); }
template <class T>
inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
  const int lane = (int)(mwh::state()->cur->linear & 31), base = lane & ~(width - 1);
  return mwh::shuffle(v, base + (src % width));
}
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  const int lane = (int)(mwh::state()->cur->linear & 31), base = lane & ~(width - 1), src = lane ^ mask;
  return mwh::shuffle(v, src < base + width ? src : lane);
}
template <class T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  const int lane = (int)(mwh::state()->cur->linear & 31), base = lane & ~(width - 1), src = lane + (int)delta;
  return mwh::shuffle(v, src < base + width ? src : lane);
}
template <class T>
inline T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
  const int lane = (int)(mwh::state()->cur->linear & 31), base = lane & ~(width - 1), src = lane - (int)delta;
  return mwh::shuffle(v, src >= base ? src : lane);
}
// One OS thread runs every fiber and switches only at barriers, so plain updates are atomic.
template <class T>
inline T atomicAdd(T* p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}
// Blocks run one after another on one thread, so every write is already visible to later blocks.
inline void __threadfence() {}
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int i) {
  float f;
  memcpy(&f, &i, 4);
  return f;
}

// Each generated kernel K gets an exported launcher `mwh_K` that the addon's hostLaunch calls.
#define MW_EXPORT(name)                                                                              \
  extern "C" __attribute__((visibility("default"))) int mwh_##name(const unsigned* g, const unsigned* b, \
                                                                   unsigned smem, void** args, char* err, int n) { \
    return mwh::launch(name, g, b, smem, args, err, n);                                              \
  }
