#!/usr/bin/env python3
"""PyTorch eager reference for `emend bench-runtime`: the same measurements on HF transformers' GPT2LMHeadModel.

Modes (each prints one JSON line on stdout, with the keys `emend bench-runtime` prints for that mode):
  forward   logits [B,T,V] for B x T random token ids under torch.no_grad(), synchronised by summing the logits
  fwd-bwd   zero the gradients, forward, mean cross-entropy over all B*T positions (targets = the ids shifted by
            one), backward with respect to every parameter
  load      resident memory of a process that loaded the model once (AutoModelForCausalLM.from_pretrained +
            AutoTokenizer.from_pretrained, what ModelLoader.load does) and ran one forward; then the load time over
            --iters fresh loads, and the tokenizer's share

The token ids come from SplitMix64 seeded with --seed, B rows of T+1 ids each (inputs = the first T, targets = the
last T), the same generator and layout as the Java side, so both runs see identical inputs and the losses and
gradient norms they report can be compared.

fp32 on CPU, model.eval() (no dropout: Emend has none), use_cache=False. The attention implementation defaults to
transformers' own default, "sdpa" (fused scaled-dot-product attention); --attn eager selects the explicit
softmax(QK^T)V path that Emend also computes. "Eager" in the benchmark's name means eager execution (no
torch.compile), not the attention kernel.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/bench/torch_runtime.py --model DIR --mode forward --batch 8 --tokens 64 \
      --warmup 2 --iters 10 --threads 2
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

MASK64 = (1 << 64) - 1


def splitmix64(seed):
    """SplitMix64 (Steele, Lea, Flood 2014); the Java side implements the same recurrence."""
    x = seed & MASK64
    while True:
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


def token_ids(seed, batch, tokens, vocab):
    """B rows of T+1 ids, each the next SplitMix64 output modulo the vocabulary (unsigned)."""
    g = splitmix64(seed)
    return [[next(g) % vocab for _ in range(tokens + 1)] for _ in range(batch)]


def proc_status_mib(key):
    """A memory line of /proc/self/status (VmRSS, VmHWM) in MiB; None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def safetensors_bytes(model_dir):
    return sum(os.path.getsize(os.path.join(model_dir, n)) for n in os.listdir(model_dir)
               if n.endswith(".safetensors"))


def timings(times_s, batch, tokens):
    ms = [t * 1000.0 for t in times_s]
    med = statistics.median(ms)
    return {
        "ms_per_iter": round(med, 3),
        "ms_mean": round(statistics.fmean(ms), 3),
        "ms_min": round(min(ms), 3),
        "ms_max": round(max(ms), 3),
        "tokens_per_s": round(batch * tokens / (med / 1000.0), 2),
    }


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="HF GPT-2 folder (tools/bench/make_random_gpt2.py)")
    p.add_argument("--mode", required=True, choices=["forward", "fwd-bwd", "load"])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 = leave torch's default")
    p.add_argument("--seed", type=int, default=0, help="token-id seed")
    p.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"], help="attention implementation")
    a = p.parse_args(argv)
    if a.batch < 1 or a.tokens < 1 or a.warmup < 0 or a.iters < 1:
        p.error("--batch, --tokens and --iters must be >= 1 and --warmup >= 0")
    return a


def main(argv=None):
    a = parse_args(argv)
    t_import = time.perf_counter()
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    engine_s = time.perf_counter() - t_import
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model_dir = os.path.abspath(a.model)

    def load_tokenizer():
        return AutoTokenizer.from_pretrained(model_dir)

    def load():
        """What a user needs to run the model, as ModelLoader.load gives it: weights and tokenizer."""
        m = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation=a.attn)
        load_tokenizer()
        return m.eval()

    rss_base = proc_status_mib("VmRSS")
    t0 = time.perf_counter()
    model = load()
    first_load_s = time.perf_counter() - t0
    cfg = model.config
    if a.tokens > cfg.n_positions:
        sys.exit("torch_runtime: --tokens %d exceeds the model's %d positions" % (a.tokens, cfg.n_positions))
    rows = token_ids(a.seed, a.batch, a.tokens, cfg.vocab_size)
    ids = torch.tensor(rows, dtype=torch.long)
    inputs, targets = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()   # [B,T] each

    out = {
        "impl": "pytorch",
        "mode": a.mode,
        "model": model_dir,
        "layers": cfg.n_layer,
        "d_model": cfg.n_embd,
        "vocab": cfg.vocab_size,
        "params": sum(p.numel() for p in model.parameters()),
        "batch": a.batch,
        "tokens": a.tokens,
        "threads": torch.get_num_threads(),
        "warmup": a.warmup,
        "iters": a.iters,
        "attention": a.attn,
        "dtype": "fp32",
        "version": "torch %s, transformers %s" % (torch.__version__, transformers.__version__),
    }

    if a.mode == "load":
        # memory as a process that loaded the model once, then run it once (touches every weight)
        import gc
        gc.collect()
        rss_load = proc_status_mib("VmRSS")
        with torch.no_grad():
            model(input_ids=inputs, use_cache=False).logits.sum().item()
        rss = proc_status_mib("VmRSS")
        memory = {k: proc_status_mib(k) for k in ("RssAnon", "RssFile", "VmHWM")}
        times = []
        tokenizer_times = []
        for i in range(a.warmup + a.iters):
            del model
            gc.collect()
            t0 = time.perf_counter()
            model = load()
            t1 = time.perf_counter()
            load_tokenizer()
            t2 = time.perf_counter()
            if i >= a.warmup:
                times.append(t1 - t0)
                tokenizer_times.append(t2 - t1)
        file_mib = safetensors_bytes(model_dir) / (1024.0 * 1024.0)
        out.update({
            "load_ms": round(statistics.median(times) * 1000.0, 3),
            "load_ms_first": round(first_load_s * 1000.0, 3),
            "tokenizer_ms": round(statistics.median(tokenizer_times) * 1000.0, 3),
            "engine_ms": round(engine_s * 1000.0, 3),   # importing torch and transformers
            "file_mib": round(file_mib, 1),
            "rss_base_mib": round(rss_base, 1),
            "rss_load_mib": round(rss_load, 1),
            "rss_mib": round(rss, 1),
            "rss_anon_mib": round(memory["RssAnon"], 1),
            "rss_file_mib": round(memory["RssFile"], 1),
            "hwm_mib": round(memory["VmHWM"], 1),
            "rss_minus_file_mib": round(rss - file_mib, 1),
            "heap_used_mib": None,  # no managed heap; weights live in torch's allocator
        })
        print(json.dumps(out), flush=True)
        return 0

    times = []
    checksum = None
    loss_value = None
    if a.mode == "forward":
        with torch.no_grad():
            for i in range(a.warmup + a.iters):
                t0 = time.perf_counter()
                logits = model(input_ids=inputs, use_cache=False).logits        # [B,T,V]
                checksum = logits.sum().item()
                dt = time.perf_counter() - t0
                del logits
                if i >= a.warmup:
                    times.append(dt)
        grad_norm = None
    else:
        params = [p for p in model.parameters()]
        for p in params:
            p.requires_grad_(True)
        for i in range(a.warmup + a.iters):
            t0 = time.perf_counter()
            model.zero_grad(set_to_none=True)
            logits = model(input_ids=inputs, use_cache=False).logits            # [B,T,V]
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            loss.backward()
            loss_value = loss.item()
            dt = time.perf_counter() - t0
            del logits, loss
            if i >= a.warmup:
                times.append(dt)
        with torch.no_grad():   # the last iteration's gradients, outside the timing
            sq = sum(float(p.grad.double().square().sum()) for p in params if p.grad is not None)
        grad_norm = math.sqrt(sq)
        checksum = loss_value
    out.update(timings(times, a.batch, a.tokens))
    out.update({"checksum": checksum, "loss": loss_value, "grad_norm": grad_norm})
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
