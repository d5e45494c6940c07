#!/usr/bin/env python3
"""PyTorch timings for the CUDA backend's benchmark: the same GEMM and attention shapes, timed
with CUDA events around each call (median of many after warm-up), written as JSON.

usage: bench_torch.py SPEC.json OUT.json
"""
import json
import sys
import time


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    out = {"ok": False, "torch": None, "device": None, "gemm": {}, "attention": {}, "errors": []}
    t0 = time.time()
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - report any import failure as data
        out["errors"].append(f"import torch: {e}")
        json.dump(out, open(sys.argv[2], "w"), indent=1)
        return
    out["torch"] = torch.__version__
    if not torch.cuda.is_available():
        out["errors"].append("torch.cuda.is_available() is False")
        json.dump(out, open(sys.argv[2], "w"), indent=1)
        return
    out["device"] = torch.cuda.get_device_name(0)
    iters, warmup = int(spec.get("iters", 50)), int(spec.get("warmup", 10))
    dt = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}

    from cuda_timing import timed as cuda_timed

    def timed(fn):
        return cuda_timed(fn, iters, warmup)

    torch.manual_seed(0)
    for g in spec.get("gemm", []):
        try:
            t = dt[g["dtype"]]
            x = torch.randn(g["m"], g["k"], device="cuda", dtype=t)
            w = torch.randn(g["n"], g["k"], device="cuda", dtype=t)  # nn.Linear layout [out, in]
            b = torch.randn(g["n"], device="cuda", dtype=t)
            if g.get("epilogue") == "bias_gelu":
                out["gemm"][g["name"]] = timed(lambda: F.gelu(F.linear(x, w, b)))
            else:
                out["gemm"][g["name"]] = timed(lambda: torch.matmul(x, w.t()))
        except Exception as e:  # noqa: BLE001
            out["errors"].append(f"gemm {g['name']}: {e}")
    for a in spec.get("attention", []):
        try:
            t = dt[a["dtype"]]
            q = torch.randn(a["B"], a["H"], a["lq"], a["d"], device="cuda", dtype=t)
            k = torch.randn(a["B"], a["H"], a["lk"], a["d"], device="cuda", dtype=t)
            v = torch.randn(a["B"], a["H"], a["lk"], a["d"], device="cuda", dtype=t)
            # SDPA's is_causal aligns top-left; for lq == 1 over a kv-cache no key is masked.
            causal = bool(a["causal"]) and a["lq"] == a["lk"]
            out["attention"][a["name"]] = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
        except Exception as e:  # noqa: BLE001
            out["errors"].append(f"attention {a['name']}: {e}")
    out["ok"] = True
    out["seconds"] = time.time() - t0
    json.dump(out, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
