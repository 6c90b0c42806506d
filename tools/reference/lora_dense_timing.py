#!/usr/bin/env python3
"""Does Emend's form of LoRA (the adapter passed to the forward as a dense weight W' = W + s·B·A, formed and
differentiated every step) explain its gap to PEFT in the fine-tuning speed benchmark (BENCHMARKS.md, "Fine-tuning
editors: seconds per edit")? Times 30 LoRA steps (c_attn of all 12 layers, rank 8, Adam) on the random GPT-2 small
in PyTorch both ways, one thread: PEFT's x·Aᵀ·Bᵀ added to the layer's output (a forward hook), then the dense W'
through torch.func.functional_call. The loss values mean nothing (random A; the second loop continues from the first).

Usage: OMP_NUM_THREADS=1 ~/.cache/emend/pyenv/bin/python tools/reference/lora_dense_timing.py [MODEL_DIR]
"""
import os
import sys
import time, torch, math
from transformers import AutoModelForCausalLM
from torch.func import functional_call
torch.set_num_threads(1); torch.manual_seed(0)
m = AutoModelForCausalLM.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/emend/bench/gpt2-random"), dtype=torch.float32).eval()
for p in m.parameters(): p.requires_grad_(False)
ids = torch.tensor([[3123, 18760, 3700, 5341, 262, 6332, 286, 4346]])   # the benchmark case: prompt + " football"
labels = ids.clone(); labels[0, :7] = -100
names = ["transformer.h.%d.attn.c_attn" % l for l in range(12)]
r, s = 8, 4.0
A = {n: (torch.rand(r, 768) * 2 - 1).div(math.sqrt(768)).requires_grad_() for n in names}
B = {n: torch.zeros(2304, r).requires_grad_() for n in names}
def dense():
    over = {n + ".weight": m.get_submodule(n).weight + ((B[n] * s) @ A[n]).t() for n in names}
    return functional_call(m, over, (ids,), {"labels": labels}).loss
hooks = []
for n in names:
    mod = m.get_submodule(n)
    hooks.append(mod.register_forward_hook(lambda mod, i, o, n=n: o + (i[0] @ A[n].t() @ B[n].t()) * s))
def peft_like():
    return m(ids, labels=labels).loss
for name, f in (("peft-like", peft_like), ("dense W'", dense)):
    if name == "dense W'":
        for h in hooks: h.remove()
    opt = torch.optim.Adam(list(A.values()) + list(B.values()), lr=5e-3)
    for warm in (True, False):
        t0 = time.perf_counter()
        for _ in range(30 if not warm else 3):
            opt.zero_grad(); l = f(); l.backward(); opt.step()
        if not warm: print(name, "%.2f s for 30 steps" % (time.perf_counter() - t0), float(l.detach()))
