# PyTorch peer for the op microbenchmarks: reads a JSON job (cases with raw input files and a
# torch expression), checks nothing itself, times each case (median of repeated runs after
# warm-up) and writes each output to a raw file so the harness can gate it against the
# reference interpreter.
import json, sys, time, statistics
import torch
import torch.nn.functional as F

job = json.load(open(sys.argv[1]))
torch.set_num_threads(job["threads"])
DT = {"f32": torch.float32, "i64": torch.int64, "i32": torch.int32}


def sdpa(q, k, v):
    # PyTorch's fused attention when this version has it (2.0+), else the explicit form.
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    return torch.softmax((q @ k.transpose(-1, -2)) / q.shape[-1] ** 0.5, -1) @ v

results = []
for case in job["cases"]:
    try:
        args = []
        for inp in case["inputs"]:
            raw = open(inp["file"], "rb").read()
            t = torch.frombuffer(bytearray(raw), dtype=DT[inp["dtype"]]).reshape(inp["shape"])
            args.append(t)
        env = dict(zip("abcdefgh", args), torch=torch, F=F, sdpa=sdpa)
        fn = lambda: eval(case["expr"], env)
        with torch.inference_mode():
            out = fn()
            for _ in range(2):
                fn()
            samples = []
            start = time.perf_counter()
            while len(samples) < 5 or (time.perf_counter() - start < job["min_time_s"] and len(samples) < 200):
                t0 = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - t0) * 1000)
        out.detach().contiguous().to(torch.float32).numpy().tofile(case["out"])
        s = sorted(samples)
        q = lambda p: s[min(len(s) - 1, int(round(p * (len(s) - 1))))]
        results.append({"name": case["name"], "ok": True, "shape": list(out.shape), "ms": samples,
                        "median": statistics.median(s), "p10": q(0.1), "p90": q(0.9)})
    except Exception as e:  # reported per case, the run goes on
        results.append({"name": case["name"], "ok": False, "error": f"{type(e).__name__}: {e}"})
blas = next((part.split("=", 1)[1] for part in torch.__config__.show().replace(",", " ").split() if part.startswith("BLAS_INFO=")), "unknown")
json.dump({"torch": torch.__version__, "blas": blas, "results": results}, open(job["result"], "w"))
