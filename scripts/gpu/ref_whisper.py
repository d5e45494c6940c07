#!/usr/bin/env python3
"""PyTorch eager Whisper at whisper-tiny.en shapes with seeded random weights, in f16 on the GPU:
times the encoder over a 30 s window and one decoder step over a kv-cache, with CUDA events
(median after warm-up). Written after openai/whisper model.py (pre-norm residual attention blocks,
GELU MLP, sinusoidal encoder positions, tied logits), attention through SDPA as whisper does when
it is available, kv-cache as whisper's hooks keep it (concatenate the new key/value).

usage: ref_whisper.py OUT.json
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from cuda_timing import timed

DIMS = dict(n_mels=80, n_audio_ctx=1500, n_state=384, n_head=6, n_layer=4, n_vocab=51864, n_text_ctx=448)


def sinusoids(length, channels, max_timescale=10000):
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


# The whole model is cast to f16 (.half()), so layer norms run in f16 as well; openai-whisper
# instead keeps f32 parameters and casts each weight per call, which is slower still.
LayerNorm = nn.LayerNorm


class MHA(nn.Module):
    def __init__(self, n_state, n_head):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(n_state, n_state)
        self.key = nn.Linear(n_state, n_state, bias=False)
        self.value = nn.Linear(n_state, n_state)
        self.out = nn.Linear(n_state, n_state)

    def attend(self, q, k, v, causal):
        b, lq, d = q.shape
        h = self.n_head
        q = q.view(b, lq, h, d // h).transpose(1, 2)
        k = k.view(b, k.shape[1], h, d // h).transpose(1, 2)
        v = v.view(b, v.shape[1], h, d // h).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=causal and lq > 1)
        return self.out(o.transpose(1, 2).reshape(b, lq, d))


class Block(nn.Module):
    def __init__(self, n_state, n_head, cross):
        super().__init__()
        self.attn, self.attn_ln = MHA(n_state, n_head), LayerNorm(n_state)
        self.cross = MHA(n_state, n_head) if cross else None
        self.cross_ln = LayerNorm(n_state) if cross else None
        self.mlp = nn.Sequential(nn.Linear(n_state, 4 * n_state), nn.GELU(), nn.Linear(4 * n_state, n_state))
        self.mlp_ln = LayerNorm(n_state)

    def forward(self, x, cache=None, xkv=None):
        h = self.attn_ln(x)
        q, k, v = self.attn.query(h), self.attn.key(h), self.attn.value(h)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 1), torch.cat([cache[1], v], 1)
        x = x + self.attn.attend(q, k, v, causal=cache is not None)
        if self.cross is not None:
            x = x + self.cross.attend(self.cross.query(self.cross_ln(x)), xkv[0], xkv[1], causal=False)
        return x + self.mlp(self.mlp_ln(x))


class Encoder(nn.Module):
    def __init__(self, d):
        super().__init__()
        n = d["n_state"]
        self.conv1 = nn.Conv1d(d["n_mels"], n, 3, padding=1)
        self.conv2 = nn.Conv1d(n, n, 3, stride=2, padding=1)
        self.register_buffer("pos", sinusoids(d["n_audio_ctx"], n))
        self.blocks = nn.ModuleList([Block(n, d["n_head"], False) for _ in range(d["n_layer"])])
        self.ln_post = LayerNorm(n)

    def forward(self, mel):
        x = F.gelu(self.conv1(mel))
        x = F.gelu(self.conv2(x)).permute(0, 2, 1)
        x = (x + self.pos).to(x.dtype)
        for b in self.blocks:
            x = b(x)
        return self.ln_post(x)


class Decoder(nn.Module):
    def __init__(self, d):
        super().__init__()
        n = d["n_state"]
        self.tok = nn.Embedding(d["n_vocab"], n)
        self.pos = nn.Parameter(torch.empty(d["n_text_ctx"], n))
        self.blocks = nn.ModuleList([Block(n, d["n_head"], True) for _ in range(d["n_layer"])])
        self.ln = LayerNorm(n)

    def step(self, token, offset, caches, xkvs):
        x = self.tok(token) + self.pos[offset:offset + token.shape[-1]]
        for b, c, xkv in zip(self.blocks, caches, xkvs):
            x = b(x, c, xkv)
        return (self.ln(x) @ self.tok.weight.to(x.dtype).T).float()


@torch.no_grad()
def main():
    out = {"dims": DIMS, "dtype": "f16"}
    t0 = time.time()
    torch.manual_seed(1234)
    dev = "cuda"
    enc, dec = Encoder(DIMS).to(dev).half().eval(), Decoder(DIMS).to(dev).half().eval()
    for p in list(enc.parameters()) + list(dec.parameters()):
        p.normal_(0, 0.05)
    out["torch"] = torch.__version__
    out["device"] = torch.cuda.get_device_name(0)
    mel = torch.randn(1, DIMS["n_mels"], 2 * DIMS["n_audio_ctx"], device=dev, dtype=torch.float16)
    out["encoder"] = timed(lambda: enc(mel), 20, 3)
    xa = enc(mel)
    xkvs = [(b.cross.key(xa), b.cross.value(xa)) for b in dec.blocks]
    kv = 224
    caches = [(torch.randn(1, kv, DIMS["n_state"], device=dev, dtype=torch.float16),
               torch.randn(1, kv, DIMS["n_state"], device=dev, dtype=torch.float16)) for _ in dec.blocks]
    token = torch.tensor([[50257]], device=dev)
    out["decoder_step_kv224"] = timed(lambda: dec.step(token, kv, caches, xkvs), 50, 5)
    # Wall clock of the same step as the host sees it (eager launch overhead included).
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(50):
        dec.step(token, kv, caches, xkvs)
    torch.cuda.synchronize()
    out["decoder_step_wall_ms"] = (time.perf_counter() - t) * 1000 / 50
    out["seconds"] = time.time() - t0
    json.dump(out, open(sys.argv[1], "w"), indent=1)


if __name__ == "__main__":
    main()
