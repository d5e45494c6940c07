# A small reference Whisper in PyTorch (eager, CPU), written for the end-to-end benchmark: the
# same weights (safetensors, OpenAI names), the same audio and the same fixed-length greedy
# decode as the other systems, timed per stage. It follows openai-whisper's model.py closely
# (pre-norm blocks, key projection without bias, tied logits, kv-cache) and uses PyTorch's
# fastest CPU attention when the version has it.
#   usage: ref_whisper.py MODEL_DIR WAV N_TOKENS RUNS THREADS MEL_FILTERS  -> JSON on stdout
import json, math, resource, struct, sys, time, wave
import numpy as np
import torch
import torch.nn.functional as F

model_dir, wav_path, n_tokens, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)

def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    dt = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        if info["dtype"] == "BF16":
            u = np.frombuffer(raw[base + a:base + b], dtype=np.uint16).astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(raw[base + a:base + b], dtype=dt[info["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out

cfg = json.load(open(f"{model_dir}/config.json"))
dims = cfg.get("dims", cfg)
W = load_safetensors(f"{model_dir}/model.safetensors")
if "encoder.conv1.weight" not in W:
    raise SystemExit("ref_whisper.py expects OpenAI tensor names (the bench writes them)")
n_head_a, n_head_t = dims["n_audio_head"], dims["n_text_head"]
n_enc, n_dec = dims["n_audio_layer"], dims["n_text_layer"]
filters = torch.from_numpy(np.fromfile(sys.argv[6], dtype=np.float32).reshape(dims["n_mels"], 201))

def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getframerate() == 16000 and w.getnchannels() == 1
        return torch.from_numpy(np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0)

def log_mel(audio):
    audio = F.pad(audio, (0, 480000 - audio.shape[0])) if audio.shape[0] < 480000 else audio[:480000]
    stft = torch.stft(audio, 400, 160, window=torch.hann_window(400), return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = filters @ power
    log = torch.clamp(mel, min=1e-10).log10()
    log = torch.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0

def lin(x, p, bias=True):
    return F.linear(x, W[p + ".weight"], W.get(p + ".bias") if bias else None)

def ln(x, p):
    return F.layer_norm(x, (x.shape[-1],), W[p + ".weight"], W[p + ".bias"], 1e-5)

def heads(x, h):
    b, t, d = x.shape
    return x.view(b, t, h, d // h).transpose(1, 2)

def attend(q, k, v, h, causal=False):
    o = F.scaled_dot_product_attention(heads(q, h), heads(k, h), heads(v, h), is_causal=causal) if hasattr(F, "scaled_dot_product_attention") \
        else _attend_explicit(heads(q, h), heads(k, h), heads(v, h), causal)
    return o.transpose(1, 2).flatten(2)

def _attend_explicit(q, k, v, causal):
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal and q.shape[2] > 1:
        s = s + torch.full((q.shape[2], k.shape[2]), float("-inf")).triu(1 + k.shape[2] - q.shape[2])
    return s.softmax(-1) @ v

def encoder(mel):
    x = F.gelu(F.conv1d(mel[None], W["encoder.conv1.weight"], W["encoder.conv1.bias"], padding=1))
    x = F.gelu(F.conv1d(x, W["encoder.conv2.weight"], W["encoder.conv2.bias"], stride=2, padding=1))
    x = x.transpose(1, 2) + W["encoder.positional_embedding"]
    for i in range(n_enc):
        p = f"encoder.blocks.{i}"
        h = ln(x, p + ".attn_ln")
        x = x + lin(attend(lin(h, p + ".attn.query"), lin(h, p + ".attn.key", False), lin(h, p + ".attn.value"), n_head_a), p + ".attn.out")
        x = x + lin(F.gelu(lin(ln(x, p + ".mlp_ln"), p + ".mlp.0")), p + ".mlp.2")
    return ln(x, "encoder.ln_post")

def cross_kv(enc):
    return [(lin(enc, f"decoder.blocks.{i}.cross_attn.key", False), lin(enc, f"decoder.blocks.{i}.cross_attn.value")) for i in range(n_dec)]

def decode(cross, prompt):
    cache = [None] * n_dec
    tokens = list(prompt)
    new = torch.tensor([prompt])
    out = []
    for step in range(n_tokens):
        past = 0 if cache[0] is None else cache[0][0].shape[1]
        x = W["decoder.token_embedding.weight"][new] + W["decoder.positional_embedding"][past:past + new.shape[1]]
        for i in range(n_dec):
            p = f"decoder.blocks.{i}"
            h = ln(x, p + ".attn_ln")
            k, v = lin(h, p + ".attn.key", False), lin(h, p + ".attn.value")
            if cache[i] is not None:
                k, v = torch.cat([cache[i][0], k], 1), torch.cat([cache[i][1], v], 1)
            cache[i] = (k, v)
            x = x + lin(attend(lin(h, p + ".attn.query"), k, v, n_head_t, causal=new.shape[1] > 1), p + ".attn.out")
            h = ln(x, p + ".cross_attn_ln")
            x = x + lin(attend(lin(h, p + ".cross_attn.query"), cross[i][0], cross[i][1], n_head_t), p + ".cross_attn.out")
            x = x + lin(F.gelu(lin(ln(x, p + ".mlp_ln"), p + ".mlp.0")), p + ".mlp.2")
        logits = ln(x[:, -1:], "decoder.ln") @ W["decoder.token_embedding.weight"].T
        nxt = int(logits[0, -1].argmax())
        out.append(nxt)
        new = torch.tensor([[nxt]])
    return out

prompt = cfg.get("bench_prompt", [50257, 50362])
records = []
with torch.inference_mode():
    for r in range(runs + 1):  # the first run is the warm-up
        t0 = time.perf_counter()
        audio = read_wav(wav_path)
        t1 = time.perf_counter()
        mel = log_mel(audio)
        t2 = time.perf_counter()
        cross = cross_kv(encoder(mel))  # with the encoder, as whisper.cpp counts it
        t3 = time.perf_counter()
        toks = decode(cross, prompt)
        t4 = time.perf_counter()
        if r > 0:
            records.append({"total_ms": (t4 - t0) * 1e3, "load_ms": (t1 - t0) * 1e3, "mel_ms": (t2 - t1) * 1e3, "encoder_ms": (t3 - t2) * 1e3,
                            "decode_ms": (t4 - t3) * 1e3, "tokens": toks})
print(json.dumps({"torch": torch.__version__, "threads": threads, "runs": records,
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
