// The CUDA driver API as the addon sees it: a handful of opaque types, the entry points it
// resolves from libcuda.so.1 at run time (no CUDA header or library is needed to build), and
// the one CHECK() macro every driver call goes through.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st* CUcontext;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef struct CUstream_st* CUstream;
typedef struct CUevent_st* CUevent;
typedef struct CUgraph_st* CUgraph;
typedef struct CUgraphExec_st* CUgraphExec;
typedef struct CUgraphNode_st* CUgraphNode;

// CUDA_KERNEL_NODE_PARAMS_v2 of cuda.h (func set; kern and ctx null).
struct MwKernelNodeParams {
  CUfunction func;
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  void** kernelParams;
  void** extra;
  void* kern;
  CUcontext ctx;
};

// The entry points, by the exported symbol name (the `_v2` names where the driver has them).
#define MW_CUDA_FUNCS(X)                                                                        \
  X(cuInit, "cuInit", CUresult, (unsigned))                                                     \
  X(cuDriverGetVersion, "cuDriverGetVersion", CUresult, (int*))                                 \
  X(cuGetErrorString, "cuGetErrorString", CUresult, (CUresult, const char**))                   \
  X(cuGetErrorName, "cuGetErrorName", CUresult, (CUresult, const char**))                       \
  X(cuDeviceGetCount, "cuDeviceGetCount", CUresult, (int*))                                     \
  X(cuDeviceGet, "cuDeviceGet", CUresult, (CUdevice*, int))                                     \
  X(cuDeviceGetName, "cuDeviceGetName", CUresult, (char*, int, CUdevice))                       \
  X(cuDeviceGetAttribute, "cuDeviceGetAttribute", CUresult, (int*, int, CUdevice))              \
  X(cuDeviceTotalMem, "cuDeviceTotalMem_v2", CUresult, (size_t*, CUdevice))                     \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult, (CUcontext*, CUdevice))     \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", CUresult, (CUcontext))                                  \
  X(cuCtxSynchronize, "cuCtxSynchronize", CUresult, ())                                         \
  X(cuModuleLoadData, "cuModuleLoadData", CUresult, (CUmodule*, const void*))                   \
  X(cuModuleUnload, "cuModuleUnload", CUresult, (CUmodule))                                     \
  X(cuModuleGetFunction, "cuModuleGetFunction", CUresult, (CUfunction*, CUmodule, const char*)) \
  X(cuFuncSetAttribute, "cuFuncSetAttribute", CUresult, (CUfunction, int, int))                 \
  X(cuLaunchKernel, "cuLaunchKernel", CUresult,                                                 \
    (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,         \
     CUstream, void**, void**))                                                                 \
  X(cuMemAlloc, "cuMemAlloc_v2", CUresult, (CUdeviceptr*, size_t))                              \
  X(cuMemFree, "cuMemFree_v2", CUresult, (CUdeviceptr))                                         \
  X(cuMemAllocHost, "cuMemAllocHost_v2", CUresult, (void**, size_t))                            \
  X(cuMemFreeHost, "cuMemFreeHost", CUresult, (void*))                                          \
  X(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", CUresult, (CUdeviceptr, const void*, size_t, CUstream)) \
  X(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", CUresult, (void*, CUdeviceptr, size_t, CUstream))       \
  X(cuMemsetD8Async, "cuMemsetD8Async", CUresult, (CUdeviceptr, unsigned char, size_t, CUstream))      \
  X(cuStreamCreate, "cuStreamCreate", CUresult, (CUstream*, unsigned))                          \
  X(cuStreamDestroy, "cuStreamDestroy_v2", CUresult, (CUstream))                                \
  X(cuStreamSynchronize, "cuStreamSynchronize", CUresult, (CUstream))                           \
  X(cuEventCreate, "cuEventCreate", CUresult, (CUevent*, unsigned))                             \
  X(cuEventDestroy, "cuEventDestroy_v2", CUresult, (CUevent))                                   \
  X(cuEventRecord, "cuEventRecord", CUresult, (CUevent, CUstream))                              \
  X(cuEventSynchronize, "cuEventSynchronize", CUresult, (CUevent))                              \
  X(cuEventElapsedTime, "cuEventElapsedTime", CUresult, (float*, CUevent, CUevent))             \
  X(cuStreamBeginCapture, "cuStreamBeginCapture_v2", CUresult, (CUstream, int))                 \
  X(cuStreamEndCapture, "cuStreamEndCapture", CUresult, (CUstream, CUgraph*))                   \
  X(cuGraphInstantiate, "cuGraphInstantiateWithFlags", CUresult, (CUgraphExec*, CUgraph, unsigned long long)) \
  X(cuGraphLaunch, "cuGraphLaunch", CUresult, (CUgraphExec, CUstream))                          \
  X(cuGraphExecDestroy, "cuGraphExecDestroy", CUresult, (CUgraphExec))                          \
  X(cuGraphDestroy, "cuGraphDestroy", CUresult, (CUgraph))                                      \
  X(cuGraphCreate, "cuGraphCreate", CUresult, (CUgraph*, unsigned))                             \
  X(cuGraphAddKernelNode, "cuGraphAddKernelNode_v2", CUresult,                                  \
    (CUgraphNode*, CUgraph, const CUgraphNode*, size_t, const MwKernelNodeParams*))             \
  X(cuGraphExecKernelNodeSetParams, "cuGraphExecKernelNodeSetParams_v2", CUresult,              \
    (CUgraphExec, CUgraphNode, const MwKernelNodeParams*))

struct CudaApi {
#define MW_DECLARE(field, sym, ret, args) ret(*field) args = nullptr;
  MW_CUDA_FUNCS(MW_DECLARE)
#undef MW_DECLARE
};

// Filled by cudaLoad(); null until libcuda.so.1 has been opened and every symbol resolved.
extern CudaApi* g_cuda;

// Thrown by CHECK(); the addon turns it into a JS CudaError with the same fields.
struct CudaCallError {
  std::string call;
  std::string where;
  int code;
  std::string message;
};

std::string cudaErrorText(CUresult r);

#define MW_STR2(x) #x
#define MW_STR(x) MW_STR2(x)
// Every driver call goes through CHECK(): a failure becomes a CudaCallError naming the call,
// the source line and the driver's own error string.
#define CHECK(call)                                                                     \
  do {                                                                                  \
    CUresult mw_rc_ = (call);                                                           \
    if (mw_rc_ != 0)                                                                    \
      throw CudaCallError{#call, __FILE__ ":" MW_STR(__LINE__), mw_rc_, cudaErrorText(mw_rc_)}; \
  } while (0)
