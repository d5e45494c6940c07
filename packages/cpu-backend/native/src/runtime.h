// Baseline-compiled runtime services used by the N-API layer: ISA choice, dispatch, the
// mw_runtime table for generated libraries, CPU description and the machine-limit probes.
#pragma once
#include <string>
#include <vector>

#include "common.h"

namespace mw {

Isa best_isa();
Isa current_isa();
void set_isa(Isa isa);  // throws if the CPU lacks it
const char* isa_name(Isa isa);
Isa parse_isa(const std::string& s, const char* what);

std::vector<std::string> cpu_flags();
std::string cpu_model();
int cpu_cores();

void sgemm(const mw_gemm_args* g);
void attention(const mw_attention_args* a);
const mw_runtime* runtime();  // refreshed (num_threads) on every call

double peak_fma_gflops(double ms);
double triad_gbps(int64_t bytes_per_array, int reps);

}  // namespace mw
