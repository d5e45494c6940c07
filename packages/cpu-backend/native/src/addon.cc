// N-API surface of the cpu-backend addon: direct sgemm/attention on typed arrays (bounds
// checked), generated-library loading (dlopen + ABI check + mw_run, with the state its runs keep),
// aligned arenas, threads, ISA selection and the machine-limit probes. All maths lives in the
// kernels_* files.
#include <dlfcn.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include <napi.h>

#include <string>
#include <vector>

#include "runtime.h"

namespace {

using mw_run_fn = void (*)(const mw_runtime*, void* const*, const int64_t*, void**);
using mw_abi_fn = int32_t (*)(void);

[[noreturn]] void fail(Napi::Env env, const std::string& msg) { throw Napi::Error::New(env, msg); }

int64_t get_int(const Napi::Object& o, const char* op, const char* key, bool required, int64_t dflt) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) fail(env, std::string("[") + op + "] missing option " + key);
    return dflt;
  }
  double d;
  if (v.IsNumber()) {
    d = v.As<Napi::Number>().DoubleValue();
  } else if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  } else {
    fail(env, std::string("[") + op + "] option " + key + ": expected an integer, got " +
                  v.ToString().Utf8Value());
  }
  if (d != (double)(int64_t)d)
    fail(env, std::string("[") + op + "] option " + key + ": expected an integer, got " + std::to_string(d));
  return (int64_t)d;
}

std::vector<int64_t> get_strides(const Napi::Object& o, const char* op, const char* key,
                                 std::vector<int64_t> dflt) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsArray()) fail(env, std::string("[") + op + "] option " + key + ": expected an array of " +
                                  std::to_string(dflt.size()) + " strides");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != dflt.size())
    fail(env, std::string("[") + op + "] option " + key + ": expected " + std::to_string(dflt.size()) +
                  " strides, got " + std::to_string(a.Length()));
  std::vector<int64_t> out(dflt.size());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) fail(env, std::string("[") + op + "] option " + key + "[" + std::to_string(i) + "]: expected a number");
    double d = e.As<Napi::Number>().DoubleValue();
    if (d != (double)(int64_t)d) fail(env, std::string("[") + op + "] option " + key + ": strides must be integers");
    out[i] = (int64_t)d;
  }
  return out;
}

struct View {
  void* data;
  int64_t length;  // elements
  napi_typedarray_type type;
};

View get_array(const Napi::Object& o, const char* op, const char* key, bool required) {
  Napi::Env env = o.Env();
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) fail(env, std::string("[") + op + "] missing option " + key);
    return {nullptr, 0, napi_float32_array};
  }
  if (!v.IsTypedArray()) fail(env, std::string("[") + op + "] option " + key + ": expected a typed array");
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  char* base = (char*)t.ArrayBuffer().Data() + t.ByteOffset();
  return {base, (int64_t)t.ElementLength(), t.TypedArrayType()};
}

// Every element an operand's strides can reach must lie inside its typed array.
void check_extent(Napi::Env env, const char* op, const char* name, const View& v,
                  const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < sizes.size(); i++) {
    if (sizes[i] <= 0) return;  // nothing is touched
    int64_t span = strides[i] * (sizes[i] - 1);
    (span < 0 ? lo : hi) += span;
  }
  if (lo < 0 || hi >= v.length)
    fail(env, std::string("[") + op + "] " + name + " is too small for its shape and strides: expected " +
                  "elements [" + std::to_string(lo) + ", " + std::to_string(hi) + "] to exist, got length " +
                  std::to_string(v.length));
}

// The storage dtype named by option `key` (f32, f16 or bf16; f32 when absent), checked against
// the arrays that hold it: Float32Array for f32, Uint16Array of raw bits for f16/bf16.
int32_t get_dtype(Napi::Env env, Napi::Object o, const char* op, const char* key,
                  std::initializer_list<std::pair<const char*, const View*>> arrays) {
  std::string dt = o.Has(key) && o.Get(key).IsString() ? o.Get(key).As<Napi::String>().Utf8Value() : "f32";
  if (dt != "f32" && dt != "f16" && dt != "bf16")
    fail(env, std::string("[") + op + "] " + key + ": expected f32, f16 or bf16, got \"" + dt + "\"");
  const napi_typedarray_type want = dt == "f32" ? napi_float32_array : napi_uint16_array;
  for (auto [name, v] : arrays)
    if (v->type != want)
      fail(env, std::string("[") + op + "] " + name + ": " + key + " " + dt + " expects " +
                    (dt == "f32" ? "a Float32Array" : "a Uint16Array of raw bits"));
  return dt == "f32" ? MW_F32 : dt == "f16" ? MW_F16 : MW_BF16;
}

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) fail(env, "[sgemm] expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const char* op = "sgemm";
  int64_t m = get_int(o, op, "m", true, 0), n = get_int(o, op, "n", true, 0), k = get_int(o, op, "k", true, 0);
  int64_t batch = get_int(o, op, "batch", false, 1);
  if (m < 0 || n < 0 || k < 0 || batch < 0)
    fail(env, "[sgemm] sizes must be non-negative: got m=" + std::to_string(m) + " n=" + std::to_string(n) +
                  " k=" + std::to_string(k) + " batch=" + std::to_string(batch));
  View a = get_array(o, op, "a", true), b = get_array(o, op, "b", true), c = get_array(o, op, "c", true);
  if (a.type != napi_float32_array) fail(env, "[sgemm] a: expected a Float32Array");
  if (c.type != napi_float32_array) fail(env, "[sgemm] c: expected a Float32Array");
  int32_t dt = get_dtype(env, o, op, "bDtype", {{"b", &b}});
  auto as = get_strides(o, op, "aStrides", {m * k, k, 1});
  auto bs = get_strides(o, op, "bStrides", {k * n, n, 1});
  auto cs = get_strides(o, op, "cStrides", {m * n, n});
  check_extent(env, op, "a", a, {batch, m, k}, as);
  check_extent(env, op, "b", b, {batch, k, n}, bs);
  check_extent(env, op, "c", c, {batch, m, n}, {cs[0], cs[1], 1});
  mw_gemm_args g;
  memset(&g, 0, sizeof g);
  g.batch = batch, g.m = m, g.n = n, g.k = k;
  g.a = (const float*)a.data, g.a_batch_stride = as[0], g.a_row_stride = as[1], g.a_col_stride = as[2];
  g.b = b.data, g.b_dtype = dt, g.b_batch_stride = bs[0], g.b_row_stride = bs[1], g.b_col_stride = bs[2];
  g.c = (float*)c.data, g.c_batch_stride = cs[0], g.ldc = cs[1];
  Napi::Value alpha = o.Get("alpha");
  g.alpha = alpha.IsNumber() ? alpha.As<Napi::Number>().FloatValue() : 1.f;
  mw::sgemm(&g);
  return env.Undefined();
}

Napi::Value Attention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) fail(env, "[attention] expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const char* op = "attention";
  int64_t B = get_int(o, op, "batch", false, 1), H = get_int(o, op, "heads", false, 1);
  int64_t lq = get_int(o, op, "lq", true, 0), lk = get_int(o, op, "lk", true, 0);
  int64_t d = get_int(o, op, "d", true, 0), dv = get_int(o, op, "dv", false, d);
  if (B < 0 || H < 0 || lq < 0 || lk < 0 || d < 0 || dv < 0) fail(env, "[attention] sizes must be non-negative");
  View q = get_array(o, op, "q", true), k = get_array(o, op, "k", true), v = get_array(o, op, "v", true),
       out = get_array(o, op, "out", true), mask = get_array(o, op, "mask", false);
  for (auto* p : {&q, &out})
    if (p->type != napi_float32_array) fail(env, "[attention] q and out must be Float32Arrays");
  int32_t kv_dt = get_dtype(env, o, op, "kvDtype", {{"k", &k}, {"v", &v}});
  if (mask.data && mask.type != napi_float32_array) fail(env, "[attention] mask: expected a Float32Array");
  auto qs = get_strides(o, op, "qStrides", {H * lq * d, lq * d, d});
  auto ks = get_strides(o, op, "kStrides", {H * lk * d, lk * d, d});
  auto vs = get_strides(o, op, "vStrides", {H * lk * dv, lk * dv, dv});
  auto os = get_strides(o, op, "outStrides", {H * lq * dv, lq * dv, dv});
  auto ms = get_strides(o, op, "maskStrides", {H * lq * lk, lq * lk, lk, 1});
  check_extent(env, op, "q", q, {B, H, lq, d}, {qs[0], qs[1], qs[2], 1});
  check_extent(env, op, "k", k, {B, H, lk, d}, {ks[0], ks[1], ks[2], 1});
  check_extent(env, op, "v", v, {B, H, lk, dv}, {vs[0], vs[1], vs[2], 1});
  check_extent(env, op, "out", out, {B, H, lq, dv}, {os[0], os[1], os[2], 1});
  if (mask.data) check_extent(env, op, "mask", mask, {B, H, lq, lk}, ms);
  mw_attention_args a;
  memset(&a, 0, sizeof a);
  a.batch = B, a.heads = H, a.lq = lq, a.lk = lk, a.d = d, a.dv = dv;
  a.q = (const float*)q.data, a.q_bs = qs[0], a.q_hs = qs[1], a.q_rs = qs[2];
  a.k = k.data, a.k_bs = ks[0], a.k_hs = ks[1], a.k_rs = ks[2];
  a.v = v.data, a.v_bs = vs[0], a.v_hs = vs[1], a.v_rs = vs[2];
  a.kv_dtype = kv_dt;
  a.out = (float*)out.data, a.o_bs = os[0], a.o_hs = os[1], a.o_rs = os[2];
  a.mask = (const float*)mask.data, a.m_bs = ms[0], a.m_hs = ms[1], a.m_rs = ms[2], a.m_cs = ms[3];
  Napi::Value scale = o.Get("scale");
  a.scale = scale.IsNumber() ? scale.As<Napi::Number>().FloatValue() : 1.f / __builtin_sqrtf((float)(d > 0 ? d : 1));
  a.causal = o.Get("causal").ToBoolean().Value() ? 1 : 0;
  mw::attention(&a);
  return env.Undefined();
}

// ---- generated libraries ----

struct Library {
  void* dl = nullptr;
  mw_run_fn run = nullptr;
  std::string path;
  int32_t state_slots = 0;
};

void close_library(Library* lib) {
  if (lib->dl) dlclose(lib->dl);
  lib->dl = nullptr;
  lib->run = nullptr;
}

Napi::Value LoadLibrary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) fail(env, "[loadLibrary] expected a path string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  dlerror();
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    const char* e = dlerror();
    fail(env, "[loadLibrary] cannot load " + path + ": " + (e ? e : "unknown dlopen error"));
  }
  // A symbol every generated library exports; a missing one closes the library and throws.
  auto need = [&](const char* name) {
    void* sym = dlsym(dl, name);
    if (!sym) {
      const char* e = dlerror();
      std::string msg = "[loadLibrary] " + path + " does not export " + name + ": " + (e ? e : "");
      dlclose(dl);
      fail(env, msg);
    }
    return sym;
  };
  int32_t got = ((mw_abi_fn)need("mw_abi_version"))();
  if (got != MW_ABI_VERSION) {
    dlclose(dl);
    fail(env, "[loadLibrary] ABI version mismatch in " + path + ": expected " + std::to_string(MW_ABI_VERSION) +
                  ", got " + std::to_string(got) + " (regenerate the library)");
  }
  auto run = (mw_run_fn)need("mw_run");
  auto slots = (mw_abi_fn)need("mw_state_slots");
  Library* lib = new Library{dl, run, path, slots()};
  return Napi::External<Library>::New(env, lib, [](Napi::Env, Library* l) {
    close_library(l);
    delete l;
  });
}

Library* get_library(const Napi::CallbackInfo& info, const char* op) {
  if (info.Length() < 1 || !info[0].IsExternal())
    fail(info.Env(), std::string("[") + op + "] expected a library handle from loadLibrary");
  return info[0].As<Napi::External<Library>>().Data();
}

Napi::Value UnloadLibrary(const Napi::CallbackInfo& info) {
  close_library(get_library(info, "unloadLibrary"));
  return info.Env().Undefined();
}

void* buffer_pointer(Napi::Env env, Napi::Value v, uint32_t i) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  if (v.IsTypedArray()) {
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    return (char*)t.ArrayBuffer().Data() + t.ByteOffset();
  }
  if (v.IsArrayBuffer()) return v.As<Napi::ArrayBuffer>().Data();
  if (v.IsDataView()) {
    Napi::DataView d = v.As<Napi::DataView>();
    return (char*)d.ArrayBuffer().Data() + d.ByteOffset();
  }
  fail(env, "[runLibrary] buffers[" + std::to_string(i) + "]: expected a TypedArray, ArrayBuffer or null, got " +
                v.ToString().Utf8Value());
}

Napi::Value RunLibrary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Library* lib = get_library(info, "runLibrary");
  if (!lib->run) fail(env, "[runLibrary] library " + lib->path + " was unloaded");
  if (info.Length() < 2 || !info[1].IsArray()) fail(env, "[runLibrary] buffers: expected an array");
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<void*> bufs(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) bufs[i] = buffer_pointer(env, arr.Get(i), i);
  std::vector<int64_t> dims;
  const int64_t* dp = nullptr;
  if (info.Length() >= 3 && !info[2].IsUndefined() && !info[2].IsNull()) {
    Napi::Value dv = info[2];
    if (dv.IsTypedArray() && dv.As<Napi::TypedArray>().TypedArrayType() == napi_bigint64_array) {
      Napi::TypedArray t = dv.As<Napi::TypedArray>();
      dp = (const int64_t*)((char*)t.ArrayBuffer().Data() + t.ByteOffset());
    } else if (dv.IsTypedArray() && dv.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
      Napi::Float64Array f = dv.As<Napi::Float64Array>();
      for (size_t i = 0; i < f.ElementLength(); i++) {
        double x = f[i];
        if (x != (double)(int64_t)x) fail(env, "[runLibrary] dims[" + std::to_string(i) + "]: expected an integer, got " + std::to_string(x));
        dims.push_back((int64_t)x);
      }
      dp = dims.data();
    } else {
      fail(env, "[runLibrary] dims: expected a BigInt64Array or Float64Array");
    }
  }
  void** state = nullptr;
  if (info.Length() >= 4 && !info[3].IsUndefined() && !info[3].IsNull()) {
    if (!info[3].IsArrayBuffer()) fail(env, "[runLibrary] state: expected an ArrayBuffer from allocState, or null");
    Napi::ArrayBuffer st = info[3].As<Napi::ArrayBuffer>();
    if (st.ByteLength() < sizeof(void*) * (size_t)lib->state_slots)
      fail(env, "[runLibrary] state: " + lib->path + " needs " + std::to_string(lib->state_slots) +
                    " slots, got a buffer of " + std::to_string(st.ByteLength()) + " bytes");
    state = (void**)st.Data();
  }
  int64_t none = 0;
  lib->run(mw::runtime(), bufs.data(), dp ? dp : &none, state);
  return env.Undefined();
}

Napi::Value StateSlots(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), get_library(info, "stateSlots")->state_slots);
}

// allocState(slots): zeroed slots for what a library's runs keep (packed weights). What the
// runtime put there is freed by releaseState, or when the buffer is collected.
Napi::Value AllocState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double d = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 1e6) || d != (double)(int64_t)d) fail(env, "[allocState] slots: expected a whole number up to 1e6");
  int64_t n = (int64_t)d;
  void** p = (void**)calloc(n ? n : 1, sizeof(void*));
  if (!p) fail(env, "[allocState] out of memory");
  return Napi::ArrayBuffer::New(env, p, sizeof(void*) * n, [n](Napi::Env, void* q) {
    mw::release_state((void**)q, n);
    free(q);
  });
}

Napi::Value ReleaseState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) fail(env, "[releaseState] expected an ArrayBuffer from allocState");
  Napi::ArrayBuffer st = info[0].As<Napi::ArrayBuffer>();
  mw::release_state((void**)st.Data(), (int64_t)(st.ByteLength() / sizeof(void*)));
  return env.Undefined();
}

Napi::Value PackedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)mw::packed_bytes());
}

// ---- arenas, threads, ISA, probes ----

Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) fail(env, "[allocAligned] expected a byte count");
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != (double)(int64_t)d) fail(env, "[allocAligned] bytes: expected a non-negative integer, got " + std::to_string(d));
  size_t bytes = (size_t)d, padded = (bytes + 63) & ~(size_t)63;
  if (padded == 0) padded = 64;
  void* p = aligned_alloc(64, padded);
  if (!p) fail(env, "[allocAligned] out of memory allocating " + std::to_string(bytes) + " bytes");
  memset(p, 0, padded);  // ArrayBuffers are zeroed in JS; keep that promise
  Napi::MemoryManagement::AdjustExternalMemory(env, (int64_t)padded);
  return Napi::ArrayBuffer::New(env, p, bytes, [padded](Napi::Env e, void* q) {
    free(q);
    Napi::MemoryManagement::AdjustExternalMemory(e, -(int64_t)padded);
  });
}

// adviseHugePages(buffer): asks the kernel to back the 2 MB-aligned extents inside a large,
// not yet touched result buffer with huge pages, so writing it costs a few page faults instead
// of one per 4 KB (a 54 MB result: ~13000 faults). Advisory: a no-op where THP is off.
Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) fail(env, "[adviseHugePages] expected a typed array");
  Napi::TypedArray t = info[0].As<Napi::TypedArray>();
  const size_t huge = size_t(2) << 20;
  uintptr_t begin = (uintptr_t)t.ArrayBuffer().Data() + t.ByteOffset(), end = begin + t.ByteLength();
  uintptr_t a = (begin + huge - 1) & ~(uintptr_t)(huge - 1), b = end & ~(uintptr_t)(huge - 1);
  bool ok = b > a && madvise((void*)a, b - a, MADV_HUGEPAGE) == 0;
  return Napi::Boolean::New(env, ok);
}

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("model", mw::cpu_model());
  o.Set("cores", mw::cpu_cores());
  o.Set("isa", mw::isa_name(mw::current_isa()));
  o.Set("bestIsa", mw::isa_name(mw::best_isa()));
  auto flags = mw::cpu_flags();
  Napi::Array a = Napi::Array::New(env, flags.size());
  for (uint32_t i = 0; i < flags.size(); i++) a.Set(i, flags[i]);
  o.Set("flags", a);
  return o;
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), mw::num_threads()); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) fail(env, "[setThreads] expected a thread count");
  double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 0 && n <= 1024) || n != (double)(int)n)
    fail(env, "[setThreads] n: expected an integer in [0, 1024] (0 = all cores), got " + std::to_string(n));
  mw::set_num_threads((int)n);
  return Napi::Number::New(env, mw::num_threads());
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) fail(env, "[setIsa] expected \"avx512\", \"avx2\" or \"generic\"");
  mw::set_isa(mw::parse_isa(info[0].As<Napi::String>().Utf8Value(), "setIsa"));
  return Napi::String::New(env, mw::isa_name(mw::current_isa()));
}

Napi::Value PeakFma(const Napi::CallbackInfo& info) {
  double ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 200;
  if (!(ms > 0 && ms <= 60000)) fail(info.Env(), "[peakFma] ms: expected a duration in (0, 60000]");
  return Napi::Number::New(info.Env(), mw::peak_fma_gflops(ms));
}

Napi::Value TriadProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double bytes = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 64e6;
  double reps = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 10;
  if (!(bytes >= 4096 && bytes <= 64e9)) fail(env, "[triad] bytes: expected a per-array size in [4096, 64e9]");
  if (!(reps >= 1 && reps <= 1e6)) fail(env, "[triad] reps: expected an integer >= 1");
  return Napi::Number::New(env, mw::triad_gbps((int64_t)bytes, (int)reps));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Validates MW_CPU_ISA and MW_CPU_PACKED_MB now, so a bad value fails the load, not a GEMM.
  mw::current_isa();
  mw::packed_budget();
  exports.Set("abiVersion", Napi::Number::New(env, MW_ABI_VERSION));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("attention", Napi::Function::New(env, Attention, "attention"));
  exports.Set("loadLibrary", Napi::Function::New(env, LoadLibrary, "loadLibrary"));
  exports.Set("runLibrary", Napi::Function::New(env, RunLibrary, "runLibrary"));
  exports.Set("unloadLibrary", Napi::Function::New(env, UnloadLibrary, "unloadLibrary"));
  exports.Set("stateSlots", Napi::Function::New(env, StateSlots, "stateSlots"));
  exports.Set("allocState", Napi::Function::New(env, AllocState, "allocState"));
  exports.Set("releaseState", Napi::Function::New(env, ReleaseState, "releaseState"));
  exports.Set("packedBytes", Napi::Function::New(env, PackedBytes, "packedBytes"));
  exports.Set("allocAligned", Napi::Function::New(env, AllocAligned, "allocAligned"));
  exports.Set("adviseHugePages", Napi::Function::New(env, AdviseHugePages, "adviseHugePages"));
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("peakFma", Napi::Function::New(env, PeakFma, "peakFma"));
  exports.Set("triad", Napi::Function::New(env, TriadProbe, "triad"));
  return exports;
}

}  // namespace

NODE_API_MODULE(mw_cpu, Init)
