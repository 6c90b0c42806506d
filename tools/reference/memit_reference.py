#!/usr/bin/env python3
"""Golden MEMIT / AlphaEdit tensors on the tiny GPT-2 fixture, from a plain-PyTorch transcription of the published
equations (our own code; MEMIT arXiv:2210.07229 as kmeng01/memit computes it, AlphaEdit arXiv:2410.02355 as
jianghoucheng/AlphaEdit computes it; algorithms.md §1, §3, §4). The direct F x F solves of the reference code are
used here, so the Java side's push-through (Woodbury) forms are checked against them.

Writes emend-core/src/test/resources/golden/memit/tiny-gpt2/
  case.json               requests, fixed context templates, hparams, corpus (shared with the ROME case)
  reference.safetensors   "memit." (batch of 2): z (per request, [n, D]), and per layer l: keys.l [n, F],
                          resid.l [n, D] (the share written at l), update.l (stored Conv1D orientation [F, D]);
                          h_after [n, D] (block output of the last layer at the bare prompts after the edit);
                          "alpha1." the same for AlphaEdit's first batch, "alpha2." for its second batch (one request),
                          solved against the first batch's keys read on the edited model (cache_c);
                          "alpha.rank.l" the null-space rank per layer

Conventions are those of rome_reference.py (tokenisation, subject index, target ids, KL prompt, WD, early stop);
keys per request are the mean within each template group ([bare], [the others]) and then over the groups.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/memit_reference.py
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(__file__))
from rome_reference import MODEL, REPO_ROOT, corpus, locate  # noqa: E402

OUT = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "golden", "memit", "tiny-gpt2")
BATCH = [
    {"prompt": "{} is in the city of", "subject": "Eiffel Tower", "target_new": "the tower"},
    {"prompt": "{} was born in", "subject": "Marie Curie", "target_new": "the river"},
]
SECOND = [{"prompt": "{} plays the", "subject": "Miles Davis", "target_new": "old stone"}]
TEMPLATES = ["{}", "The quick brown fox. {}", "Because it is late. {}", "I said so. {}"]
GROUPS = [[0], [1, 2, 3]]
HPARAMS = {
    "layers": [0, 1],
    "v_num_grad_steps": 12,
    "v_lr": 0.5,
    "v_weight_decay": 0.5,
    "clamp_norm_factor": 4.0,
    "kl_factor": 0.0625,
    "mom2_update_weight": 50.0,
    "nullspace_threshold": 0.05,
    "L2": 1.0,
}
EARLY_STOP = 5e-2


def hidden(out):
    return out[0] if isinstance(out, tuple) else out


def with_hidden(out, h):
    return (h,) + tuple(out[1:]) if isinstance(out, tuple) else h


def second_moments(model, tok, docs, layers):
    """C_l = S / count per layer, S accumulated in float32 over every token (algorithms §1.4)."""
    f = model.transformer.h[0].mlp.c_proj.weight.shape[0]
    sums = {l: torch.zeros(f, f) for l in layers}
    count = 0
    grabbed = {}
    hooks = [model.transformer.h[l].mlp.c_proj.register_forward_hook(
        lambda _m, inp, _o, l=l: grabbed.__setitem__(l, inp[0].detach())) for l in layers]
    with torch.no_grad():
        for d in docs:
            ids = tok(d)["input_ids"][: model.config.n_positions]
            model(torch.tensor([ids]))
            for l in layers:
                x = grabbed[l][0]
                sums[l] += x.T @ x
            count += len(ids)
    for h in hooks:
        h.remove()
    return {l: sums[l].double() / count for l in layers}


def read_at(model, module, rows, want_input):
    """The input (or output) of `module` at (ids, idx) for each row, one prompt per forward pass."""
    grabbed = {}
    h = module.register_forward_hook(lambda _m, inp, out: grabbed.__setitem__("x", (inp[0] if want_input else hidden(out)).detach()))
    vals = []
    with torch.no_grad():
        for ids, idx in rows:
            model(torch.tensor([ids]))
            vals.append(grabbed["x"][0, idx])
    h.remove()
    return torch.stack(vals)


def compute_z(model, tok, request, z_layer):
    """z = h + delta at the block output of z_layer (compute_z.py; same loss as ROME's v*)."""
    pad = tok.eos_token_id
    located = [locate(tok, t.replace("{}", request["prompt"]), request["subject"]) for t in TEMPLATES]
    target = tok(" " + request["target_new"])["input_ids"]
    t = len(target)
    kl_ids, kl_idx = locate(tok, "{} is a", request["subject"])
    rows = [ids + target[:-1] for ids, _ in located] + [kl_ids]
    lookup = [idx for _, idx in located] + [kl_idx]
    width = max(len(r) for r in rows)
    input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    labels = torch.full((len(located), width), -100)
    for i, (ids, _) in enumerate(located):
        labels[i, len(ids) - 1: len(ids) - 1 + t] = torch.tensor(target)
    delta = torch.zeros(model.config.n_embd, requires_grad=True)
    state = {"init": None}

    def add_delta(_m, _inp, out):
        h = hidden(out)
        if state["init"] is None:
            state["init"] = h[0, lookup[0]].detach().clone()
        h = h.clone()
        for i, idx in enumerate(lookup):
            h[i, idx] = h[i, idx] + delta
        return with_hidden(out, h)

    hook = model.transformer.h[z_layer].register_forward_hook(add_delta)
    opt = torch.optim.Adam([delta], lr=HPARAMS["v_lr"])
    kl_init = None
    losses = []
    for it in range(HPARAMS["v_num_grad_steps"]):
        opt.zero_grad()
        log_probs = torch.log_softmax(model(input_ids=input_ids, attention_mask=mask).logits, dim=2)
        picked = torch.gather(log_probs[: len(located)], 2, torch.where(labels != -100, labels, 0).unsqueeze(2)).squeeze(2)
        nll = (-(picked * (labels != -100).float()).sum(1) / t).mean()
        kl_lp = log_probs[len(located), kl_idx].unsqueeze(0)
        if kl_init is None:
            kl_init = kl_lp.detach().clone()
        kl = HPARAMS["kl_factor"] * torch.nn.functional.kl_div(kl_init, kl_lp, log_target=True, reduction="batchmean")
        wd = HPARAMS["v_weight_decay"] * (torch.norm(delta) / torch.norm(state["init"]) ** 2)
        loss = nll + kl + wd
        losses.append(loss.item())
        if loss < EARLY_STOP or it == HPARAMS["v_num_grad_steps"] - 1:
            break
        loss.backward()
        opt.step()
        max_norm = HPARAMS["clamp_norm_factor"] * state["init"].norm()
        if delta.norm() > max_norm:
            with torch.no_grad():
                delta[...] = delta * max_norm / delta.norm()
    hook.remove()
    return state["init"] + delta.detach(), losses


def keys_at(model, tok, requests, layer):
    """compute_ks.py: per request, the mean key within each template group, then the mean of the group means."""
    out = []
    module = model.transformer.h[layer].mlp.c_proj
    for r in requests:
        rows = [locate(tok, t.replace("{}", r["prompt"]), r["subject"]) for t in TEMPLATES]
        k = read_at(model, module, rows, want_input=True)
        out.append(torch.stack([k[g].mean(0) for g in GROUPS]).mean(0))
    return torch.stack(out)                                           # [n, F]


def edit(model, tok, requests, cov, projector=None, cache=None):
    """One MEMIT (projector None) or AlphaEdit batch; weights are updated in place layer by layer."""
    layers = HPARAMS["layers"]
    z_layer = layers[-1]
    zs = torch.stack([compute_z(model, tok, r, z_layer)[0] for r in requests])         # [n, D]
    bare = [locate(tok, r["prompt"], r["subject"]) for r in requests]
    out = {"z": zs}
    for i, layer in enumerate(layers):
        k = keys_at(model, tok, requests, layer).double()                               # [n, F]
        cur = read_at(model, model.transformer.h[z_layer], bare, want_input=False)     # [n, D]
        resid = (zs - cur).double() / (len(layers) - i)                                 # [n, D]
        K, R = k.T, resid.T                                                             # [F, n], [D, n]
        if projector is None:
            adj = torch.linalg.solve(HPARAMS["mom2_update_weight"] * cov[layer] + K @ K.T, K)   # [F, n]
            upd = R @ adj.T                                                              # [D, F]
        else:
            P = projector[layer]
            f = P.shape[0]
            x = torch.linalg.solve(P @ (K @ K.T + cache[layer]) + HPARAMS["L2"] * torch.eye(f, dtype=torch.float64),
                                   P @ K @ R.T)                                          # [F, D]
            upd = x.T
        stored = upd.T.float()                                                           # Conv1D [F, D]
        with torch.no_grad():
            model.transformer.h[layer].mlp.c_proj.weight += stored
        out[f"keys.{layer}"] = k.float()
        out[f"resid.{layer}"] = resid.float()
        out[f"update.{layer}"] = stored
    out["h_after"] = read_at(model, model.transformer.h[z_layer], bare, want_input=False)
    if cache is not None:
        for layer in layers:
            k = keys_at(model, tok, requests, layer).double().T
            cache[layer] += k @ k.T
    return out


def main():
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForCausalLM.from_pretrained(MODEL, attn_implementation="eager", dtype=torch.float32)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    docs = corpus()
    layers = HPARAMS["layers"]
    cov = second_moments(model, tok, docs, layers)
    original = {l: model.transformer.h[l].mlp.c_proj.weight.detach().clone() for l in layers}

    def restore():
        with torch.no_grad():
            for l in layers:
                model.transformer.h[l].mlp.c_proj.weight.copy_(original[l])

    tensors = {}
    for k, v in edit(model, tok, BATCH, cov).items():
        tensors["memit." + k] = v
    restore()

    projector = {}
    for l in layers:
        u, s, _ = torch.linalg.svd(cov[l], full_matrices=False)
        small = (s < HPARAMS["nullspace_threshold"]).nonzero(as_tuple=True)[0]
        projector[l] = u[:, small] @ u[:, small].T
        tensors[f"alpha.rank.{l}"] = torch.tensor([len(small)], dtype=torch.int64)
        print(f"layer {l}: null space rank {len(small)} of {len(s)}; eigenvalues {s.min():.3g}..{s.max():.3g}")
    cache = {l: torch.zeros_like(cov[l]) for l in layers}
    for k, v in edit(model, tok, BATCH, cov, projector, cache).items():
        tensors["alpha1." + k] = v
    for k, v in edit(model, tok, SECOND, cov, projector, cache).items():
        tensors["alpha2." + k] = v
    restore()

    for name in ("memit", "alpha1", "alpha2"):
        z, h = tensors[name + ".z"], tensors[name + ".h_after"]
        before = tensors[f"{name}.resid.{layers[0]}"].double() * len(layers)
        print(f"{name}: |z - h_after| / |z - h_before| = {((z - h).norm() / before.norm()).item():.3f}")
    os.makedirs(OUT, exist_ok=True)
    save_file({k: v.detach().clone().contiguous() for k, v in tensors.items()}, os.path.join(OUT, "reference.safetensors"),
              metadata={"generator": "tools/reference/memit_reference.py"})
    case = {"batch": BATCH, "second": SECOND, "context_templates": TEMPLATES, "hparams": HPARAMS, "corpus": docs,
            "torch": torch.__version__}
    with open(os.path.join(OUT, "case.json"), "w") as fh:
        json.dump(case, fh, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
