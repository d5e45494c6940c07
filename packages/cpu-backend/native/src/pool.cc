// The persistent thread pool behind mw_runtime::parallel_for. The calling thread works too, so
// a pool of N threads has N-1 workers. Chunk boundaries depend only on (n, grain, threads), and
// callers that need bit-identical results for any thread count (GEMM, attention) make each
// chunk's arithmetic independent of which thread runs it.
#include <immintrin.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common.h"

namespace mw {
namespace {

constexpr int64_t SPIN_US = 2000;

thread_local bool t_in_region = false;

struct Job {
  mw_task_fn fn;
  void* ctx;
  int64_t n, chunk, nchunks;
  std::atomic<int64_t> next{0};
  std::atomic<int> pending{0};  // workers still inside this job
};

class Pool {
 public:
  explicit Pool(int threads) : threads_(threads < 1 ? 1 : threads) {
    // Workers start from generation 0 explicitly: reading gen_ inside the new thread could
    // already see the first job's generation and then sleep through that job.
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { work(0); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int threads() const { return threads_; }

  void run(int64_t n, int64_t grain, mw_task_fn fn, void* ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t max_chunks = (n + grain - 1) / grain;
    // Up to 16 chunks per thread: a thread that was descheduled (2 cores, shared with Node's
    // own threads) is covered by the others, and the last chunk leaves little idle time.
    int64_t nchunks = max_chunks < (int64_t)threads_ * 16 ? max_chunks : (int64_t)threads_ * 16;
    if (threads_ == 1 || nchunks <= 1 || t_in_region) {
      bool was = t_in_region;
      t_in_region = true;
      fn(ctx, 0, n);
      t_in_region = was;
      return;
    }
    std::lock_guard<std::mutex> caller(call_mu_);  // one parallel job at a time
    Job job;
    job.fn = fn;
    job.ctx = ctx;
    job.n = n;
    job.nchunks = nchunks;
    job.chunk = (n + nchunks - 1) / nchunks;
    job.pending.store((int)workers_.size());
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    t_in_region = true;
    drain(job);
    t_in_region = false;
    // Workers leave quickly once the chunks are gone; spin rather than sleep on the tail.
    while (job.pending.load(std::memory_order_acquire) != 0) _mm_pause();
    std::lock_guard<std::mutex> lk(mu_);
    job_ = nullptr;
  }

 private:
  static void drain(Job& job) {
    for (;;) {
      int64_t c = job.next.fetch_add(1, std::memory_order_relaxed);
      if (c >= job.nchunks) break;
      int64_t b = c * job.chunk;
      int64_t e = b + job.chunk < job.n ? b + job.chunk : job.n;
      if (b < e) job.fn(job.ctx, b, e);
    }
  }

  void work(uint64_t seen) {
    for (;;) {
      // Spin before sleeping: decoder steps issue many small kernels back to back, with a
      // little JS (argmax, the next step's tensors) between steps, and waking a sleeping worker
      // on a VM costs more than most kernels. 2 ms covers the gap between steps (measured: a
      // tiny.en decoder step 6.6 ms instead of 6.7-7.8 with a ~0.2 ms spin).
      {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(SPIN_US);
        for (int i = 0; gen_.load(std::memory_order_acquire) == seen; i++) {
          _mm_pause();
          if ((i & 255) == 0 && std::chrono::steady_clock::now() > until) break;
        }
      }
      Job* job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return gen_.load() != seen; });
        seen = gen_.load();
        if (stop_) return;
        job = job_;
      }
      if (!job) continue;
      t_in_region = true;
      drain(*job);
      t_in_region = false;
      job->pending.fetch_sub(1, std::memory_order_release);
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_, call_mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  Job* job_ = nullptr;
  bool stop_ = false;
};

std::mutex g_pool_mu;
std::unique_ptr<Pool> g_pool;

Pool& pool() {
  std::lock_guard<std::mutex> lk(g_pool_mu);
  if (!g_pool) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    g_pool.reset(new Pool(n > 0 ? (int)n : 1));
  }
  return *g_pool;
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, mw_task_fn fn, void* ctx) { pool().run(n, grain, fn, ctx); }
int num_threads() { return pool().threads(); }
bool in_parallel_region() { return t_in_region; }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lk(g_pool_mu);
  if (n < 1) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (int)c : 1;
  }
  if (g_pool && g_pool->threads() == n) return;
  g_pool.reset();  // joins the old workers first
  g_pool.reset(new Pool(n));
}

namespace {
struct Scratch {
  void* p[8] = {};
  size_t size[8] = {};
  ~Scratch() {
    for (void* q : p) free(q);
  }
};
thread_local Scratch t_scratch;
}  // namespace

void* scratch(int slot, size_t bytes) {
  Scratch& s = t_scratch;
  if (s.size[slot] < bytes) {
    free(s.p[slot]);
    size_t sz = (bytes + 63) & ~(size_t)63;
    s.p[slot] = aligned_alloc(64, sz);
    if (!s.p[slot]) abort();
    s.size[slot] = sz;
  }
  return s.p[slot];
}

}  // namespace mw
