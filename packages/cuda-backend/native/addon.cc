// The cuda-backend native addon: a thin C ABI over the CUDA driver API (resolved from
// libcuda.so.1 with dlopen, so the addon builds and loads on machines without a GPU) and over
// the host harness (generated CUDA compiled with g++ into a .so and run on CPU threads).
// All policy (what to compile, when to launch, memory planning) lives in TypeScript.
#include <dlfcn.h>
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"

CudaApi* g_cuda = nullptr;
static CudaApi g_api;
static Napi::FunctionReference g_errorCtor;  // the TS CudaError class, set by setErrorClass()

std::string cudaErrorText(CUresult r) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (g_cuda && g_cuda->cuGetErrorName) g_cuda->cuGetErrorName(r, &name);
  if (g_cuda && g_cuda->cuGetErrorString) g_cuda->cuGetErrorString(r, &text);
  std::string s = name ? name : "CUDA error";
  if (text) s += std::string(": ") + text;
  return s;
}

namespace {

[[noreturn]] void throwCuda(Napi::Env env, const CudaCallError& e) {
  Napi::Object info = Napi::Object::New(env);
  info.Set("call", e.call);
  info.Set("where", e.where);
  info.Set("code", e.code);
  info.Set("message", e.message);
  if (!g_errorCtor.IsEmpty()) throw Napi::Error(env, g_errorCtor.New({info}));
  throw Napi::Error::New(env, e.call + " failed at " + e.where + ": " + e.message);
}

void requireDriver(Napi::Env env) {
  if (!g_cuda) throw Napi::Error::New(env, "[cuda] the CUDA driver is not loaded: call load() first");
}

// Run a body that may CHECK-fail and rethrow as a JS CudaError.
template <class F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  requireDriver(env);
  try {
    return f();
  } catch (const CudaCallError& e) {
    throwCuda(env, e);
  }
}

uint64_t ptrArg(const Napi::Value& v, const char* what) {
  if (v.IsBigInt()) {
    bool lossless = true;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (v.IsNumber()) return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
  throw Napi::TypeError::New(v.Env(), std::string("[cuda] ") + what + ": expected a bigint handle");
}

Napi::BigInt handle(Napi::Env env, const void* p) { return Napi::BigInt::New(env, (uint64_t)(uintptr_t)p); }
template <class T>
T asHandle(const Napi::Value& v, const char* what) {
  return reinterpret_cast<T>(static_cast<uintptr_t>(ptrArg(v, what)));
}

// Bytes of a TypedArray/ArrayBuffer/Buffer argument.
struct Bytes {
  uint8_t* data;
  size_t length;
};
Bytes bytesArg(const Napi::Value& v, const char* what) {
  if (v.IsTypedArray()) {
    auto t = v.As<Napi::TypedArray>();
    auto ab = t.ArrayBuffer();
    return {static_cast<uint8_t*>(ab.Data()) + t.ByteOffset(), t.ByteLength()};
  }
  if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    return {static_cast<uint8_t*>(ab.Data()), ab.ByteLength()};
  }
  throw Napi::TypeError::New(v.Env(), std::string("[cuda] ") + what + ": expected a TypedArray or ArrayBuffer");
}

// Kernel arguments travel as one packed byte buffer plus each argument's offset in it;
// cuLaunchKernel (and the harness) want an array of pointers to each value.
std::vector<void*> kernelParams(const Napi::Value& buf, const Napi::Value& offs) {
  Bytes b = bytesArg(buf, "kernel arguments");
  auto o = offs.As<Napi::Uint32Array>();
  std::vector<void*> out(o.ElementLength());
  for (size_t i = 0; i < out.size(); i++) {
    if (o[i] >= b.length) throw Napi::RangeError::New(buf.Env(), "[cuda] kernel argument offset out of range");
    out[i] = b.data + o[i];
  }
  return out;
}

void dims3(const Napi::Value& v, unsigned out[3], const char* what) {
  auto a = v.As<Napi::Array>();
  for (unsigned i = 0; i < 3; i++) out[i] = i < a.Length() ? a.Get(i).As<Napi::Number>().Uint32Value() : 1;
  if (!out[0] || !out[1] || !out[2]) throw Napi::RangeError::New(v.Env(), std::string("[cuda] ") + what + " has a zero dimension");
}

// ---- driver ---------------------------------------------------------------------------------

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_cuda) return env.Null();
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return Napi::String::New(env, std::string("libcuda.so.1 could not be loaded (") + dlerror() + ")");
#define MW_RESOLVE(field, sym, ret, args)                                                  \
  g_api.field = reinterpret_cast<ret(*) args>(dlsym(lib, sym));                            \
  if (!g_api.field) return Napi::String::New(env, std::string("libcuda.so.1 lacks ") + sym);
  MW_CUDA_FUNCS(MW_RESOLVE)
#undef MW_RESOLVE
  g_cuda = &g_api;
  return env.Null();
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  g_errorCtor = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuInit(0));
    int v = 0;
    CHECK(g_cuda->cuDriverGetVersion(&v));
    return Napi::Number::New(info.Env(), v);
  });
}

Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    int n = 0;
    CHECK(g_cuda->cuDeviceGetCount(&n));
    return Napi::Number::New(info.Env(), n);
  });
}

Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&] {
    CUdevice dev;
    CHECK(g_cuda->cuDeviceGet(&dev, info[0].As<Napi::Number>().Int32Value()));
    char name[256] = {0};
    CHECK(g_cuda->cuDeviceGetName(name, sizeof name, dev));
    size_t mem = 0;
    CHECK(g_cuda->cuDeviceTotalMem(&mem, dev));
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", name);
    o.Set("totalMem", (double)mem);
    // Attribute ids from the driver API's CUdevice_attribute enum.
    const std::pair<const char*, int> attrs[] = {
        {"major", 75}, {"minor", 76}, {"multiprocessors", 16}, {"maxSharedPerBlockOptin", 97},
        {"l2Bytes", 38}, {"clockKHz", 13}, {"memoryClockKHz", 36}, {"memoryBusWidth", 37}};
    for (auto& [key, id] : attrs) {
      int v = 0;
      CHECK(g_cuda->cuDeviceGetAttribute(&v, id, dev));
      o.Set(key, v);
    }
    return o;
  });
}

Napi::Value CtxRetain(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUdevice dev;
    CHECK(g_cuda->cuDeviceGet(&dev, info[0].As<Napi::Number>().Int32Value()));
    CUcontext ctx;
    CHECK(g_cuda->cuDevicePrimaryCtxRetain(&ctx, dev));
    CHECK(g_cuda->cuCtxSetCurrent(ctx));
    return handle(info.Env(), ctx);
  });
}

Napi::Value CtxSetCurrent(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuCtxSetCurrent(asHandle<CUcontext>(info[0], "context")));
    return info.Env().Undefined();
  });
}

Napi::Value CtxSynchronize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuCtxSynchronize());
    return info.Env().Undefined();
  });
}

Napi::Value ModuleLoad(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    Bytes b = bytesArg(info[0], "module image");
    // cuModuleLoadData reads a NUL-terminated string for PTX; a copy with a terminator makes
    // both cubin and PTX images safe.
    std::vector<uint8_t> image(b.data, b.data + b.length);
    image.push_back(0);
    CUmodule m;
    CHECK(g_cuda->cuModuleLoadData(&m, image.data()));
    return handle(info.Env(), m);
  });
}

Napi::Value ModuleUnload(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuModuleUnload(asHandle<CUmodule>(info[0], "module")));
    return info.Env().Undefined();
  });
}

Napi::Value ModuleGetFunction(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUfunction f;
    std::string name = info[1].As<Napi::String>();
    CHECK(g_cuda->cuModuleGetFunction(&f, asHandle<CUmodule>(info[0], "module"), name.c_str()));
    return handle(info.Env(), f);
  });
}

Napi::Value FuncSetMaxDynamicSmem(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8
    CHECK(g_cuda->cuFuncSetAttribute(asHandle<CUfunction>(info[0], "function"), 8, info[1].As<Napi::Number>().Int32Value()));
    return info.Env().Undefined();
  });
}

// launch(fn, grid, block, smemBytes, stream, argBytes, argOffsets)
Napi::Value Launch(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    unsigned g[3], b[3];
    dims3(info[1], g, "grid");
    dims3(info[2], b, "block");
    auto params = kernelParams(info[5], info[6]);
    CHECK(g_cuda->cuLaunchKernel(asHandle<CUfunction>(info[0], "function"), g[0], g[1], g[2], b[0], b[1], b[2],
                                 info[3].As<Napi::Number>().Uint32Value(), asHandle<CUstream>(info[4], "stream"),
                                 params.data(), nullptr));
    return info.Env().Undefined();
  });
}

Napi::Value MemAlloc(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUdeviceptr p;
    CHECK(g_cuda->cuMemAlloc(&p, (size_t)info[0].As<Napi::Number>().Int64Value()));
    return Napi::BigInt::New(info.Env(), (uint64_t)p);
  });
}

Napi::Value MemFree(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuMemFree((CUdeviceptr)ptrArg(info[0], "device pointer")));
    return info.Env().Undefined();
  });
}

// Pinned host memory as an ArrayBuffer that JS fills directly; freed when the buffer is collected.
Napi::Value MemAllocHost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&] {
    size_t n = (size_t)info[0].As<Napi::Number>().Int64Value();
    void* p = nullptr;
    CHECK(g_cuda->cuMemAllocHost(&p, n ? n : 1));
    return Napi::ArrayBuffer::New(env, p, n, [](Napi::Env, void* data) {
      if (g_cuda) g_cuda->cuMemFreeHost(data);
    });
  });
}

// memcpyHtoDAsync(dst, srcView, stream)
Napi::Value MemcpyHtoDAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    Bytes b = bytesArg(info[1], "host source");
    CHECK(g_cuda->cuMemcpyHtoDAsync((CUdeviceptr)ptrArg(info[0], "device pointer"), b.data, b.length,
                                    asHandle<CUstream>(info[2], "stream")));
    return info.Env().Undefined();
  });
}

// memcpyDtoHAsync(dstView, src, stream)
Napi::Value MemcpyDtoHAsync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    Bytes b = bytesArg(info[0], "host destination");
    CHECK(g_cuda->cuMemcpyDtoHAsync(b.data, (CUdeviceptr)ptrArg(info[1], "device pointer"), b.length,
                                    asHandle<CUstream>(info[2], "stream")));
    return info.Env().Undefined();
  });
}

Napi::Value MemsetD8Async(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuMemsetD8Async((CUdeviceptr)ptrArg(info[0], "device pointer"),
                                  (unsigned char)info[1].As<Napi::Number>().Uint32Value(),
                                  (size_t)info[2].As<Napi::Number>().Int64Value(), asHandle<CUstream>(info[3], "stream")));
    return info.Env().Undefined();
  });
}

Napi::Value StreamCreate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUstream s;
    CHECK(g_cuda->cuStreamCreate(&s, 1 /* CU_STREAM_NON_BLOCKING */));
    return handle(info.Env(), s);
  });
}

Napi::Value StreamDestroy(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuStreamDestroy(asHandle<CUstream>(info[0], "stream")));
    return info.Env().Undefined();
  });
}

Napi::Value StreamSynchronize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuStreamSynchronize(asHandle<CUstream>(info[0], "stream")));
    return info.Env().Undefined();
  });
}

Napi::Value EventCreate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUevent e;
    CHECK(g_cuda->cuEventCreate(&e, 0));
    return handle(info.Env(), e);
  });
}

Napi::Value EventDestroy(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuEventDestroy(asHandle<CUevent>(info[0], "event")));
    return info.Env().Undefined();
  });
}

Napi::Value EventRecord(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuEventRecord(asHandle<CUevent>(info[0], "event"), asHandle<CUstream>(info[1], "stream")));
    return info.Env().Undefined();
  });
}

Napi::Value EventSynchronize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuEventSynchronize(asHandle<CUevent>(info[0], "event")));
    return info.Env().Undefined();
  });
}

Napi::Value EventElapsedTime(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    float ms = 0;
    CHECK(g_cuda->cuEventElapsedTime(&ms, asHandle<CUevent>(info[0], "event"), asHandle<CUevent>(info[1], "event")));
    return Napi::Number::New(info.Env(), ms);
  });
}

Napi::Value StreamBeginCapture(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    // Thread-local mode: only this thread's stream work is captured; other threads are not blocked.
    CHECK(g_cuda->cuStreamBeginCapture(asHandle<CUstream>(info[0], "stream"), 1));
    return info.Env().Undefined();
  });
}

Napi::Value StreamEndCapture(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUgraph g;
    CHECK(g_cuda->cuStreamEndCapture(asHandle<CUstream>(info[0], "stream"), &g));
    return handle(info.Env(), g);
  });
}

Napi::Value GraphInstantiate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUgraphExec e;
    CHECK(g_cuda->cuGraphInstantiate(&e, asHandle<CUgraph>(info[0], "graph"), 0));
    return handle(info.Env(), e);
  });
}

Napi::Value GraphLaunch(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuGraphLaunch(asHandle<CUgraphExec>(info[0], "graph exec"), asHandle<CUstream>(info[1], "stream")));
    return info.Env().Undefined();
  });
}

Napi::Value GraphExecDestroy(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuGraphExecDestroy(asHandle<CUgraphExec>(info[0], "graph exec")));
    return info.Env().Undefined();
  });
}

Napi::Value GraphDestroy(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CHECK(g_cuda->cuGraphDestroy(asHandle<CUgraph>(info[0], "graph")));
    return info.Env().Undefined();
  });
}

// A kernel node's parameters from (fn, grid, block, smem, args, offsets) at info[first..].
MwKernelNodeParams nodeParams(const Napi::CallbackInfo& info, size_t first, std::vector<void*>& params) {
  MwKernelNodeParams p{};
  unsigned g[3], b[3];
  p.func = asHandle<CUfunction>(info[first], "function");
  dims3(info[first + 1], g, "grid");
  dims3(info[first + 2], b, "block");
  p.gridDimX = g[0], p.gridDimY = g[1], p.gridDimZ = g[2];
  p.blockDimX = b[0], p.blockDimY = b[1], p.blockDimZ = b[2];
  p.sharedMemBytes = info[first + 3].As<Napi::Number>().Uint32Value();
  params = kernelParams(info[first + 4], info[first + 5]);
  p.kernelParams = params.data();  // the driver copies the values when the node is set
  return p;
}

Napi::Value GraphCreate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    CUgraph g;
    CHECK(g_cuda->cuGraphCreate(&g, 0));
    return handle(info.Env(), g);
  });
}

// graphAddKernel(graph, after | null, fn, grid, block, smem, args, offsets): a kernel node that
// runs after `after` (a chain, as a stream would order the launches); returns the node.
Napi::Value GraphAddKernel(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    std::vector<void*> params;
    MwKernelNodeParams p = nodeParams(info, 2, params);
    CUgraphNode node, after = info[1].IsNull() ? nullptr : asHandle<CUgraphNode>(info[1], "graph node");
    CHECK(g_cuda->cuGraphAddKernelNode(&node, asHandle<CUgraph>(info[0], "graph"), after ? &after : nullptr, after ? 1 : 0, &p));
    return handle(info.Env(), node);
  });
}

// graphSetKernel(exec, node, fn, grid, block, smem, args, offsets): new launch parameters for a
// kernel node of an instantiated graph (its grid and arguments may change; its function not).
Napi::Value GraphSetKernel(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] {
    std::vector<void*> params;
    MwKernelNodeParams p = nodeParams(info, 2, params);
    CHECK(g_cuda->cuGraphExecKernelNodeSetParams(asHandle<CUgraphExec>(info[0], "graph exec"),
                                                 asHandle<CUgraphNode>(info[1], "graph node"), &p));
    return info.Env().Undefined();
  });
}

// ---- host harness ---------------------------------------------------------------------------
// A harness library is generated CUDA compiled with g++ -DMW_HOST_HARNESS; each kernel K is
// exported as `mwh_K` (see harness/cuda_host.h).
typedef int (*HostLaunchFn)(const unsigned* grid, const unsigned* block, unsigned smem, void** args, char* err,
                            int errLen);

Napi::Value HostOpen(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>();
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) throw Napi::Error::New(info.Env(), std::string("[cuda harness] cannot load ") + path + ": " + dlerror());
  return handle(info.Env(), lib);
}

Napi::Value HostClose(const Napi::CallbackInfo& info) {
  dlclose(asHandle<void*>(info[0], "harness library"));
  return info.Env().Undefined();
}

// hostLaunch(lib, name, grid, block, smem, argBytes, argOffsets)
Napi::Value HostLaunch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[1].As<Napi::String>();
  auto fn = reinterpret_cast<HostLaunchFn>(dlsym(asHandle<void*>(info[0], "harness library"), ("mwh_" + name).c_str()));
  if (!fn) throw Napi::Error::New(env, "[cuda harness] kernel " + name + " not found in the harness library");
  unsigned g[3], b[3];
  dims3(info[2], g, "grid");
  dims3(info[3], b, "block");
  auto params = kernelParams(info[5], info[6]);
  char err[512] = {0};
  if (fn(g, b, info[4].As<Napi::Number>().Uint32Value(), params.data(), err, sizeof err) != 0)
    throw Napi::Error::New(env, "[cuda harness] kernel " + name + ": " + err);
  return env.Undefined();
}

Napi::Value HostAlloc(const Napi::CallbackInfo& info) {
  size_t n = (size_t)info[0].As<Napi::Number>().Int64Value();
  size_t rounded = ((n ? n : 1) + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded);
  if (!p) throw Napi::Error::New(info.Env(), "[cuda harness] out of host memory");
  // Real device memory is not zeroed either; poison it so reads of unwritten memory show up.
  std::memset(p, 0xff, rounded);
  return handle(info.Env(), p);
}

Napi::Value HostFree(const Napi::CallbackInfo& info) {
  std::free(asHandle<void*>(info[0], "host pointer"));
  return info.Env().Undefined();
}

// hostCopy(dstPtrOrView, srcPtrOrView): a memcpy where either side is a bigint pointer or a view.
Napi::Value HostCopy(const Napi::CallbackInfo& info) {
  if (info[0].IsBigInt()) {
    Bytes s = bytesArg(info[1], "source");
    std::memcpy(asHandle<void*>(info[0], "destination"), s.data, s.length);
  } else {
    Bytes d = bytesArg(info[0], "destination");
    std::memcpy(d.data, asHandle<void*>(info[1], "source"), d.length);
  }
  return info.Env().Undefined();
}

Napi::Value HostMemset(const Napi::CallbackInfo& info) {
  std::memset(asHandle<void*>(info[0], "host pointer"), info[1].As<Napi::Number>().Int32Value(),
              (size_t)info[2].As<Napi::Number>().Int64Value());
  return info.Env().Undefined();
}

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> fns[] = {
      {"load", Load}, {"setErrorClass", SetErrorClass}, {"init", Init}, {"deviceCount", DeviceCount},
      {"deviceInfo", DeviceInfo}, {"ctxRetain", CtxRetain}, {"ctxSetCurrent", CtxSetCurrent},
      {"ctxSynchronize", CtxSynchronize}, {"moduleLoad", ModuleLoad}, {"moduleUnload", ModuleUnload},
      {"moduleGetFunction", ModuleGetFunction}, {"funcSetMaxDynamicSmem", FuncSetMaxDynamicSmem},
      {"launch", Launch}, {"memAlloc", MemAlloc}, {"memFree", MemFree}, {"memAllocHost", MemAllocHost},
      {"memcpyHtoDAsync", MemcpyHtoDAsync}, {"memcpyDtoHAsync", MemcpyDtoHAsync}, {"memsetD8Async", MemsetD8Async},
      {"streamCreate", StreamCreate}, {"streamDestroy", StreamDestroy}, {"streamSynchronize", StreamSynchronize},
      {"eventCreate", EventCreate}, {"eventDestroy", EventDestroy}, {"eventRecord", EventRecord},
      {"eventSynchronize", EventSynchronize}, {"eventElapsedTime", EventElapsedTime},
      {"streamBeginCapture", StreamBeginCapture}, {"streamEndCapture", StreamEndCapture},
      {"graphInstantiate", GraphInstantiate}, {"graphLaunch", GraphLaunch}, {"graphExecDestroy", GraphExecDestroy},
      {"graphDestroy", GraphDestroy}, {"graphCreate", GraphCreate}, {"graphAddKernel", GraphAddKernel},
      {"graphSetKernel", GraphSetKernel}, {"hostOpen", HostOpen}, {"hostClose", HostClose}, {"hostLaunch", HostLaunch},
      {"hostAlloc", HostAlloc}, {"hostFree", HostFree}, {"hostCopy", HostCopy}, {"hostMemset", HostMemset},
  };
  for (auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

}  // namespace

NODE_API_MODULE(mw_cuda, InitAddon)
