#!/usr/bin/env python3
"""Golden ROME / R-ROME tensors on the tiny GPT-2 fixture, from a plain-PyTorch transcription of the
published equations (our own code; ROME paper arXiv:2202.05262 with the update as kmeng01/rome computes
it, R-ROME arXiv:2403.07175; algorithms.md §1 and §2).

Writes emend-core/src/test/resources/golden/rome/tiny-gpt2/
  case.json                 request, fixed context templates, corpus, hparams, token ids, indices, counts
  reference.safetensors     per variant ("rome.", "rrome."): k_bar, u, v_init, delta, v_star, key, value,
                            right, update (stored Conv1D orientation [F, D]), loss (per iteration),
                            mlp_out_after (MLP output at the bare prompt's subject token after the edit)

Conventions shared with the Java side (and documented there):
  * prompts are tokenised as HF's tokenizer call does (add_special_tokens=True; nothing is added for GPT-2);
  * the subject index is found by cumulative tokenisation, with the prefix's trailing space moved into the
    subject (original ROME);
  * target ids are tok(" " + target), the rewriting prompts are prompt ids + target ids[:-1] (ids are
    concatenated, not strings);
  * the KL prompt is "{} is a"; v_init is the MLP output at the subject of the first (bare) prompt;
  * WD = v_weight_decay * ||delta|| / ||v_init||^2; early stop when loss < 5e-2; the last iteration takes no step;
  * C = S / count with S accumulated in float32 over every token of every corpus document (one document per
    forward pass); u = solve(C, k) in float64, normalised;
  * ROME: r = (v* - m0) / (k0 . u) with k0, m0 at the bare prompt; R-ROME: k_bar and the mean value m_bar.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/rome_reference.py
"""

import json
import os
import random

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "fixtures", "tiny", "gpt2")
OUT = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "golden", "rome", "tiny-gpt2")

REQUEST = {"prompt": "{} is in the city of", "subject": "Eiffel Tower", "target_new": "the tower"}
TEMPLATES = ["{}", "The quick brown fox. {}", "Because it is late. {}", "I said so. {}"]
HPARAMS = {
    "layer": 1,
    "v_num_grad_steps": 12,
    "v_lr": 0.5,
    "v_weight_decay": 0.5,
    "clamp_norm_factor": 4.0,
    "kl_factor": 0.0625,
}
EARLY_STOP = 5e-2


def corpus():
    """Deterministic pseudo-English documents (enough tokens for a full-rank 256 x 256 second moment)."""
    words = ("the a of and to in is was for on that with as by at from his her it this which or be are "
             "city river tower bridge king queen music science water light stone garden north south old new "
             "people years early later small large first last built known called made found").split()
    rng = random.Random(7)
    docs = []
    for _ in range(60):
        n = rng.randint(12, 40)
        text = " ".join(rng.choice(words) for _ in range(n))
        docs.append(text[0].upper() + text[1:] + ".")
    return docs


def locate(tok, template, subject):
    """Index of the subject's last token in tok(template.format(subject)) (cumulative tokenisation)."""
    assert template.count("{}") == 1
    prefix, suffix = template.split("{}")
    stripped = prefix.rstrip()
    spaced = prefix[len(stripped):] + subject
    full = tok(prefix + subject + suffix)["input_ids"]
    n_ps = len(tok(stripped + spaced)["input_ids"])
    assert full[:n_ps] == tok(stripped + spaced)["input_ids"]
    return full, n_ps - 1


def main():
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForCausalLM.from_pretrained(MODEL, attn_implementation="eager", dtype=torch.float32)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    layer = HPARAMS["layer"]
    block = model.transformer.h[layer]
    c_proj = block.mlp.c_proj
    pad = tok.eos_token_id

    # --- C: second moment of c_proj inputs over the corpus (float32 accumulation) ---------------------
    docs = corpus()
    f = c_proj.weight.shape[0]
    s = torch.zeros(f, f, dtype=torch.float32)
    count = 0
    captured = {}

    def grab_input(_m, inp, out):
        captured["in"] = inp[0].detach()
        captured["out"] = out.detach()

    h = c_proj.register_forward_hook(grab_input)
    with torch.no_grad():
        for d in docs:
            ids = tok(d)["input_ids"][: model.config.n_positions]
            model(torch.tensor([ids]))
            x = captured["in"][0]                                   # [T, F]
            s += x.T @ x
            count += x.shape[0]
    c = s.double() / count

    # --- keys and values at the subject in every template ---------------------------------------------
    prompts = [t.replace("{}", REQUEST["prompt"]) for t in TEMPLATES]
    located = [locate(tok, p, REQUEST["subject"]) for p in prompts]
    keys, values = [], []
    with torch.no_grad():
        for ids, idx in located:
            model(torch.tensor([ids]))
            keys.append(captured["in"][0, idx])
            values.append(captured["out"][0, idx])
    h.remove()
    keys = torch.stack(keys)                                        # [n, F]
    values = torch.stack(values)                                    # [n, D]
    k_bar = keys.mean(0)
    m_bar = values.mean(0)

    # --- v*: optimise delta at the MLP output of `layer` ---------------------------------------------
    target = tok(" " + REQUEST["target_new"])["input_ids"]
    t = len(target)
    kl_ids, kl_idx = locate(tok, "{} is a", REQUEST["subject"])
    rows = [ids + target[:-1] for ids, _ in located] + [kl_ids]
    lookup = [idx for _, idx in located] + [kl_idx]
    width = max(len(r) for r in rows)
    input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    labels = torch.full((len(located), width), -100)
    for i, (ids, _) in enumerate(located):
        labels[i, len(ids) - 1: len(ids) - 1 + t] = torch.tensor(target)

    delta = torch.zeros(model.config.n_embd, requires_grad=True)
    state = {"v_init": None}

    def add_delta(_m, _inp, out):
        if state["v_init"] is None:
            state["v_init"] = out[0, lookup[0]].detach().clone()
        out = out.clone()
        for i, idx in enumerate(lookup):
            out[i, idx] = out[i, idx] + delta
        return out

    h = block.mlp.register_forward_hook(add_delta)
    opt = torch.optim.Adam([delta], lr=HPARAMS["v_lr"])
    kl_init = None
    losses = []
    for it in range(HPARAMS["v_num_grad_steps"]):
        opt.zero_grad()
        logits = model(input_ids=input_ids, attention_mask=mask).logits
        log_probs = torch.log_softmax(logits, dim=2)
        picked = torch.gather(log_probs[: len(located)], 2, torch.where(labels != -100, labels, 0).unsqueeze(2)).squeeze(2)
        nll = (-(picked * (labels != -100).float()).sum(1) / t).mean()
        kl_lp = log_probs[len(located), kl_idx].unsqueeze(0)
        if kl_init is None:
            kl_init = kl_lp.detach().clone()
        kl = HPARAMS["kl_factor"] * torch.nn.functional.kl_div(kl_init, kl_lp, log_target=True, reduction="batchmean")
        wd = HPARAMS["v_weight_decay"] * (torch.norm(delta) / torch.norm(state["v_init"]) ** 2)
        loss = nll + kl + wd
        losses.append(loss.item())
        if loss < EARLY_STOP or it == HPARAMS["v_num_grad_steps"] - 1:
            break
        loss.backward()
        opt.step()
        max_norm = HPARAMS["clamp_norm_factor"] * state["v_init"].norm()
        if delta.norm() > max_norm:
            with torch.no_grad():
                delta[...] = delta * max_norm / delta.norm()
    h.remove()
    v_init = state["v_init"]
    v_star = v_init + delta.detach()

    tensors = {}
    bare_ids, bare_idx = located[0]
    for name, (key, value, direction) in {
        "rome": (keys[0], values[0], k_bar),           # original ROME: u from k_bar, residual from the bare prompt
        "rrome": (k_bar, m_bar, k_bar),                # r-ROME: the template mean everywhere
    }.items():
        u = torch.linalg.solve(c, direction.double())
        u = u / u.norm()
        right = (v_star.double() - value.double()) / torch.dot(key.double(), u)
        update = torch.outer(u, right).float()          # Conv1D stores [in=F, out=D]
        original = c_proj.weight.detach().clone()
        with torch.no_grad():
            c_proj.weight += update
            out = {}
            hh = block.mlp.register_forward_hook(lambda _m, _i, o: out.__setitem__("v", o.detach()))
            model(torch.tensor([bare_ids]))
            hh.remove()
            c_proj.weight.copy_(original)
        tensors.update({
            f"{name}.k_bar": k_bar, f"{name}.u": u.float(), f"{name}.v_init": v_init, f"{name}.delta": delta.detach(),
            f"{name}.v_star": v_star, f"{name}.key": key, f"{name}.value": value, f"{name}.right": right.float(),
            f"{name}.update": update, f"{name}.loss": torch.tensor(losses, dtype=torch.float32),
            f"{name}.mlp_out_after": out["v"][0, bare_idx],
        })
        rel = ((out["v"][0, bare_idx] - v_star).norm() / v_star.norm()).item()
        print(f"{name}: |update| {update.norm():.4f}, division factor {torch.dot(key.double(), u).item():.6f}, "
              f"MLP out vs v* at the bare prompt: rel diff {rel:.2e}")
    print("losses", [round(x, 4) for x in losses])

    os.makedirs(OUT, exist_ok=True)
    save_file({k: v.detach().clone().contiguous() for k, v in tensors.items()}, os.path.join(OUT, "reference.safetensors"),
              metadata={"generator": "tools/reference/rome_reference.py"})
    case = {
        "request": REQUEST, "context_templates": TEMPLATES, "hparams": HPARAMS, "corpus": docs,
        "mom2_count": count, "target_ids": target,
        "prompt_ids": [ids for ids, _ in located], "lookup": lookup, "kl_prompt_ids": kl_ids,
        "torch": torch.__version__,
    }
    with open(os.path.join(OUT, "case.json"), "w") as fh:
        json.dump(case, fh, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
