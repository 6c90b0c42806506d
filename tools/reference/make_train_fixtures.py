#!/usr/bin/env python3
"""Golden numbers for the Java trainer (dev.emend.train): AdamW, gradient clipping, and three
full training steps of the tiny gpt2 fixture.

Writes emend-core/src/test/resources/fixtures/train/:
  adamw.json          torch.optim.AdamW (foreach=False, amsgrad=False) on two tensors, 6 steps with a
                      different lr each step; "w" is decayed, "b" is not; some gradients are ~1e-8 so
                      the placement of eps matters. Holds initial params, per-step grads and lrs, and
                      the params after every step.
  clip.json           torch.nn.utils.clip_grad_norm_ (norm_type 2) on three gradients, for a max_norm
                      that clips and one that does not: the returned total norm and the clipped grads.
  gpt2_steps.json     three steps of the Java Trainer's recipe on fixtures/tiny/gpt2 with a batch of two
  gpt2_steps.safetensors  fixed 17-token sequences: mean token cross-entropy, clip_grad_norm_(1.0),
                      AdamW(betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on matrices other than the
                      embeddings), warm-up + cosine lr. The json has the sequences, config, and per step
                      the lr, the loss and the gradient norm before clipping; the safetensors has
                      selected parameters after step 3.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/make_train_fixtures.py
"""

import json
import math
import os

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

transformers.logging.set_verbosity_error()

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "fixtures")
OUT = os.path.join(FIXTURES, "train")


def floats(t):
    """float32 tensor -> nested lists of Python floats (exact: every float32 is a double)."""
    return t.detach().to(torch.float32).tolist()


def adamw_fixture():
    g = torch.Generator().manual_seed(2024)
    w = torch.randn(3, 5, generator=g)
    b = torch.randn(5, generator=g) * 0.1
    lrs = [1e-3, 3e-3, 5e-2, 2e-2, 5e-3, 1e-2]
    betas = (0.9, 0.95)
    eps = 1e-8
    wd = 0.5
    pw = torch.nn.Parameter(w.clone())
    pb = torch.nn.Parameter(b.clone())
    opt = torch.optim.AdamW(
        [{"params": [pw], "weight_decay": wd}, {"params": [pb], "weight_decay": 0.0}],
        lr=lrs[0], betas=betas, eps=eps, foreach=False, fused=False, amsgrad=False, maximize=False)
    steps = []
    for i, lr in enumerate(lrs):
        gw = torch.randn(3, 5, generator=g) * (0.5 + i)
        gw[:, 0] *= 1e-8  # |g| ~ eps: where eps goes (inside or outside the sqrt, before or after bias correction) shows
        gb = torch.randn(5, generator=g) * 0.01
        if i == 3:
            gb[2] = 0.0  # a zero gradient after non-zero ones
        pw.grad = gw.clone()
        pb.grad = gb.clone()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        steps.append({"lr": lr, "grads": {"w": floats(gw), "b": floats(gb)},
                      "params": {"w": floats(pw), "b": floats(pb)}})
    return {
        "torch": torch.__version__,
        "betas": list(betas), "eps": eps,
        "weight_decay": {"w": wd, "b": 0.0},
        "initial": {"w": floats(w), "b": floats(b)},
        "steps": steps,
    }


def clip_fixture():
    g = torch.Generator().manual_seed(77)
    grads = {"a": torch.randn(4, 3, generator=g) * 2.0, "b": torch.randn(7, generator=g) * 0.3,
             "c": torch.randn(2, 2, 2, generator=g)}
    cases = []
    for max_norm in [1.0, 100.0]:
        ps = {k: torch.nn.Parameter(torch.zeros_like(v)) for k, v in grads.items()}
        for k, p in ps.items():
            p.grad = grads[k].clone()
        total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm, norm_type=2.0, foreach=False)
        cases.append({"max_norm": max_norm, "total_norm": float(total),
                      "clipped": {k: floats(p.grad) for k, p in ps.items()}})
    return {"torch": torch.__version__, "grads": {k: floats(v) for k, v in grads.items()},
            "shapes": {k: list(v.shape) for k, v in grads.items()}, "cases": cases}


def schedule(step, peak, floor, warmup, total):
    """dev.emend.train.LrSchedule.at, 1-based step."""
    if step <= warmup:
        return peak * step / max(1, warmup)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def gpt2_fixture():
    model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "tiny", "gpt2"),
                                                 attn_implementation="eager", dtype=torch.float32)
    model.eval()  # no dropout; the Java model has none
    cfg = {"steps": 3, "batch_size": 2, "tokens_per_row": 16, "peak_lr": 1e-3, "min_lr": 1e-4, "warmup": 1,
           "weight_decay": 0.1, "clip_norm": 1.0, "beta2": 0.95, "seed": 1}
    t = cfg["tokens_per_row"]
    g = torch.Generator().manual_seed(31)
    seqs = torch.randint(0, 511, (cfg["batch_size"], t + 1), generator=g)
    seqs[:, 0] = 511  # each sequence starts with the separator, as the Java corpus does
    inputs, targets = seqs[:, :-1], seqs[:, 1:]

    emb = {"transformer.wte.weight", "transformer.wpe.weight"}
    named = list(model.named_parameters())  # tied lm_head appears once, as transformer.wte.weight
    decay = [p for n, p in named if p.dim() >= 2 and n not in emb]
    plain = [p for n, p in named if not (p.dim() >= 2 and n not in emb)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]},
                             {"params": plain, "weight_decay": 0.0}],
                            lr=cfg["peak_lr"], betas=(0.9, cfg["beta2"]), eps=1e-8, foreach=False)
    steps = []
    for step in range(1, cfg["steps"] + 1):
        lr = schedule(step, cfg["peak_lr"], cfg["min_lr"], cfg["warmup"], cfg["steps"])
        opt.zero_grad(set_to_none=True)
        logits = model(input_ids=inputs).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([p for _, p in named], cfg["clip_norm"], foreach=False)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        steps.append({"step": step, "lr": lr, "loss": loss.item(), "grad_norm": norm.item()})
    keep = ["transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.attn.c_attn.weight",
            "transformer.h.0.attn.c_attn.bias", "transformer.h.1.ln_1.weight", "transformer.h.2.mlp.c_proj.weight",
            "transformer.ln_f.bias"]
    params = dict(named)
    tensors = {k: params[k].detach().contiguous().clone() for k in keep}
    return {"torch": torch.__version__, "transformers": transformers.__version__, "config": cfg,
            "sequences": seqs.tolist(), "steps": steps, "params_after": keep}, tensors


def main():
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "adamw.json"), "w") as f:
        json.dump(adamw_fixture(), f, indent=1)
    with open(os.path.join(OUT, "clip.json"), "w") as f:
        json.dump(clip_fixture(), f, indent=1)
    meta, tensors = gpt2_fixture()
    with open(os.path.join(OUT, "gpt2_steps.json"), "w") as f:
        json.dump(meta, f, indent=1)
    path = os.path.join(OUT, "gpt2_steps.safetensors")
    save_file(tensors, path, metadata={"format": "pt"})
    os.chmod(path, 0o644)
    for s in meta["steps"]:
        print("step %d lr %.3e loss %.6f grad_norm %.6f" % (s["step"], s["lr"], s["loss"], s["grad_norm"]))


if __name__ == "__main__":
    main()
