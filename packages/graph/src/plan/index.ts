// The compiler's backend-neutral middle: fusion into a KernelPlan, memory planning, printing,
// and the C-family expression printer that backends share.
//
// How a backend consumes a plan (the cpu backend is the worked example):
// - `buildPlan(graph)` after `optimize(graph)`; `printPlan(plan)` shows what it did.
// - Buffers are passed in plan order (`plan.buffers[i]` is argument i): inputs by graph input
//   index, outputs by graph output index, weights by name, constants with their data, temps at
//   `arenaLayout(plan, planMemory(plan), dims)` offsets in one arena.
// - Symbolic dims are run-time values in `plan.symbols` order; every size, stride and offset in a
//   kernel is a Dim over those symbols (print with `cDim`).
// - A View addresses element (i0, i1, ...) of a kernel's domain at offset + Σ ik·strides[k].
// - Kernel kinds: elementwise (loop nest), row (reductions then stores, per row), gemm (with an
//   epilogue over the C tile), attention (flash-style), library (gather, argmax, im2col).
// - Exprs print with `CExprEmitter` and a `CDialect` (math names, half conversions).

export * from "./ir.js";
export * from "./expr.js";
export { buildPlan, fusionGroups, type PlanOptions } from "./fuse.js";
export { planMemory, arenaLayout, peakBytes, kernelViews, kernelBuffers, ARENA_ALIGN, type MemoryPlan, type ArenaLayout, type PeakBytes } from "./memory.js";
export { printPlan } from "./print.js";
export * from "./c-printer.js";
export * from "./view.js";
