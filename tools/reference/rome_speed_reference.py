#!/usr/bin/env python3
"""Seconds per ROME edit in plain PyTorch: the baseline of Emend's ROME speed benchmark (BENCHMARKS.md, "ROME: seconds
per edit"; tools/bench/run-rome-bench.sh runs both sides).

Two transcriptions of one ROME edit (algorithms.md §1.5 and §2.5; our own code, written to compute what
EasyEdit's easyeditor/models/rome/{rome_main,compute_u,compute_v,repr_tools}.py compute, the way they compute it):

  easyedit   EasyEdit's way. HF GPT2LMHeadModel with forward hooks (nethook's Trace/TraceDict):
             compute_u: one batched pass over the 21 template prompts that stops at the MLP out-projection
                        (c_proj) of the edited layer; k_bar = mean of its input at the subject; u = k_bar/|k_bar|
                        (mom2_adjustment false, C = I);
             compute_v: every step a full forward of all 22 prompts (21 rewriting + "{} is a") with delta added
                        in place to the MLP output at the subject, logits at every position, log_softmax over
                        all of them, NLL + KL + weight decay, backward, torch.optim.Adam, norm clamp;
             then the bare prompt's c_proj input and output (one more pass that stops there), r, the rank-one
             update, and w += update.
  optimized  The same arithmetic with what does not depend on delta computed once: a manual GPT-2 forward
             (checked against HF's logits) runs blocks 0..L-1 and block L up to its MLP output once; every step
             starts from there (resid_mid + MLP out + delta), runs blocks L+1.. and computes logits only at the
             scored positions. With --suffix, positions before each row's subject token (which delta cannot
             change) are also done once: their keys and values at layers > L are kept, and the steps run only
             the positions from the subject token on, attending to those kept keys and values. Keys and the bare
             prompt's k0, m0 come from one pass that stops after the edited layer's MLP (row 0 is the bare prompt).

Shared conventions with Emend (tools/reference/rome_reference.py): right padding with the eos id; the subject index
by cumulative tokenisation (rome_reference.locate); target ids = tok(" " + target); rewriting rows = prompt ids +
target ids[:-1]; WD = v_weight_decay * |delta| / |v_init|^2; the last step computes the loss and takes no step.
Early stopping (EasyEdit: loss < 5e-2) is controlled by --early-stop (default -inf: never, as the benchmark runs).

Timed per edit: everything from the prompts to the committed weight (tokenisation included); the context templates
are fixed (tools/bench/rome/case.json) and restoring the weight afterwards is not timed. Prints one JSON line per
variant. Usage (from the repo root):

  OMP_NUM_THREADS=2 ~/.cache/emend/pyenv/bin/python tools/reference/rome_speed_reference.py \\
      --model ~/.cache/emend/bench/gpt2-random --threads 2 --variant easyedit --warmup 1 --iters 3
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CASE = os.path.join(REPO_ROOT, "tools", "bench", "rome", "case.json")
DEFAULT_PARAMS = os.path.join(REPO_ROOT, "tools", "bench", "rome", "gpt2-small.yaml")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="HF GPT-2 folder (tools/bench/make_random_gpt2.py)")
    p.add_argument("--case", default=DEFAULT_CASE, help="request and context templates (default: %(default)s)")
    p.add_argument("--params", default=DEFAULT_PARAMS, help="EasyEdit ROME hparams YAML (default: %(default)s)")
    p.add_argument("--variant", default="easyedit", choices=["easyedit", "optimized"])
    p.add_argument("--suffix", action="store_true", help="optimized: run the steps on the positions from the subject on")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 = leave torch's default")
    p.add_argument("--early-stop", type=float, default=-math.inf, help="stop when the loss is below this [-inf: never]")
    p.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"], help="easyedit: HF attention implementation")
    a = p.parse_args(argv)
    if a.warmup < 0 or a.iters < 1:
        p.error("--iters must be >= 1 and --warmup >= 0")
    return a


def load_params(path):
    import yaml
    with open(path) as f:
        hp = yaml.safe_load(f)
    for k in ("v_lr", "v_weight_decay", "clamp_norm_factor", "kl_factor"):
        hp[k] = float(hp[k])          # EasyEdit's YAML writes 5e-1, which YAML 1.1 reads as a string
    if hp["mom2_adjustment"]:
        sys.exit("rome_speed_reference: only mom2_adjustment false (C = I) is transcribed")
    if len(hp["layers"]) != 1:
        sys.exit("rome_speed_reference: one layer only")
    return hp


class Stop(Exception):
    """nethook's StopForward: ends a pass once the traced module ran."""


def main(argv=None):
    a = parse_args(argv)
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from rome_reference import locate

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with open(a.case) as f:
        case = json.load(f)
    hp = load_params(a.params)
    request, templates = case["request"], case["context_templates"]
    model_dir = os.path.abspath(os.path.expanduser(a.model))
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation=a.attn).eval()
    for p in model.parameters():
        p.requires_grad_(False)                                    # nethook.set_requires_grad(False, model)
    cfg = model.config
    layer = hp["layers"][0]
    pad = tok.eos_token_id
    blocks = model.transformer.h
    c_proj = blocks[layer].mlp.c_proj
    d = cfg.n_embd

    def right_padded(rows):
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        return ids, mask

    def prompts_of():
        prompts = [t.replace("{}", request["prompt"]) for t in templates]      # context.format(prompt)
        located = [locate(tok, p, request["subject"]) for p in prompts]
        target = tok(" " + request["target_new"])["input_ids"]
        kl = locate(tok, "{} is a", request["subject"])
        return located, target, kl

    def optimise(step_loss, v_init):
        """compute_v's loop around step_loss(delta) -> (loss, nll, kl, wd); returns delta and the losses."""
        delta = torch.zeros(d, requires_grad=True)
        opt = torch.optim.Adam([delta], lr=hp["v_lr"])
        losses = []
        for it in range(hp["v_num_grad_steps"]):
            opt.zero_grad()
            loss = step_loss(delta)
            losses.append(loss.item())
            if loss < a.early_stop or it == hp["v_num_grad_steps"] - 1:
                break
            loss.backward()
            opt.step()
            max_norm = hp["clamp_norm_factor"] * v_init().norm()
            if delta.norm() > max_norm:
                with torch.no_grad():
                    delta[...] = delta * max_norm / delta.norm()
        return delta.detach(), losses

    def loss_terms(log_probs_kl, kl_init, picked_mean_nll, delta, v_init):
        kl = hp["kl_factor"] * F.kl_div(kl_init, log_probs_kl, log_target=True, reduction="batchmean")
        wd = hp["v_weight_decay"] * (torch.norm(delta) / torch.norm(v_init) ** 2)
        return picked_mean_nll + kl + wd

    def commit(u, v_star, k0, m0):
        right = (v_star - m0) / torch.dot(k0, u)
        update = u.unsqueeze(1) @ right.unsqueeze(0)                # [F, D]: Conv1D orientation
        with torch.no_grad():
            c_proj.weight[...] += update
        return update

    # ----------------------------------------------------------------------------------------------------------
    # EasyEdit's way: hooks on the HF model, a full forward every step
    # ----------------------------------------------------------------------------------------------------------
    def edit_easyedit():
        located, target, (kl_ids, kl_idx) = prompts_of()
        t = len(target)

        # compute_u: c_proj input at the subject of every template prompt, one batch, stop at c_proj
        captured = {}

        def grab(_m, inp, out):
            captured["in"], captured["out"] = inp[0], out
            raise Stop()

        h = c_proj.register_forward_hook(grab)
        ids, mask = right_padded([r for r, _ in located])
        with torch.no_grad():
            try:
                model(input_ids=ids, attention_mask=mask)
            except Stop:
                pass
        h.remove()
        idx = torch.tensor([i for _, i in located])
        k_bar = captured["in"][torch.arange(len(located)), idx].mean(0)
        u = k_bar / k_bar.norm()

        # compute_v
        rows = [r + target[:-1] for r, _ in located] + [kl_ids]
        lookup = [i for _, i in located] + [kl_idx]
        ids, mask = right_padded(rows)
        labels = torch.full((len(located), ids.shape[1]), -100)
        for i, (r, _) in enumerate(located):
            labels[i, len(r) - 1: len(r) - 1 + t] = torch.tensor(target)
        state = {"v_init": None, "kl_init": None, "delta": None}

        def edit_output(_m, _inp, out):
            if state["v_init"] is None:
                state["v_init"] = out[0, lookup[0]].detach().clone()
            for i, j in enumerate(lookup):
                out[i, j, :] += state["delta"]                         # in place, as nethook's edit_output
            return out

        def step_loss(delta):
            state["delta"] = delta
            logits = model(input_ids=ids, attention_mask=mask).logits                        # [B,T,V]
            kl_logits = logits[len(located), kl_idx].unsqueeze(0)
            kl_lp = torch.log_softmax(kl_logits, dim=1)
            if state["kl_init"] is None:
                state["kl_init"] = kl_lp.detach().clone()
            log_probs = torch.log_softmax(logits, dim=2)
            picked = torch.gather(log_probs[: len(located)], 2,
                                  torch.where(labels != -100, labels, 0).unsqueeze(2)).squeeze(2)
            nll = (-(picked * (labels != -100).float()).sum(1) / t).mean()
            return loss_terms(kl_lp, state["kl_init"], nll, delta, state["v_init"])

        h = blocks[layer].mlp.register_forward_hook(edit_output)
        try:
            delta, losses = optimise(step_loss, lambda: state["v_init"])
        finally:
            h.remove()
        v_star = state["v_init"] + delta

        # the bare prompt's c_proj input and output, one more pass that stops there
        h = c_proj.register_forward_hook(grab)
        with torch.no_grad():
            try:
                model(input_ids=torch.tensor([located[0][0]]))
            except Stop:
                pass
        h.remove()
        k0, m0 = captured["in"][0, located[0][1]], captured["out"][0, located[0][1]]
        update = commit(u, v_star, k0, m0)
        return {"losses": losses, "delta": delta, "v_star": v_star, "update": update, "u": u}

    # ----------------------------------------------------------------------------------------------------------
    # Optimised: a manual forward that starts each step at the injection point
    # ----------------------------------------------------------------------------------------------------------
    nh = cfg.n_head
    hd = d // nh
    eps = cfg.layer_norm_epsilon
    wte = model.transformer.wte.weight
    wpe = model.transformer.wpe.weight
    ln_f = model.transformer.ln_f

    def ln(mod, x):
        return F.layer_norm(x, (d,), mod.weight, mod.bias, eps)

    def conv1d(mod, x):
        return torch.addmm(mod.bias, x.reshape(-1, x.shape[-1]), mod.weight).reshape(*x.shape[:-1], -1)

    def attention(blk, x, bias, past=None):
        """x [B,S,D]; bias [B,1,S,P+S] additive; past (k, v) [B,H,P,hd] or None. Returns output, (k, v)."""
        b, s, _ = x.shape
        q, k, v = conv1d(blk.attn.c_attn, ln(blk.ln_1, x)).split(d, dim=2)
        q, k, v = (z.reshape(b, s, nh, hd).transpose(1, 2) for z in (q, k, v))                # [B,H,S,hd]
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)                       # [B,H,S,hd]
        return conv1d(blk.attn.c_proj, ctx.transpose(1, 2).reshape(b, s, d)), (k, v)

    def mlp_parts(blk, x):
        key = F.gelu(conv1d(blk.mlp.c_fc, ln(blk.ln_2, x)), approximate="tanh")              # gelu_new
        return key, conv1d(blk.mlp.c_proj, key)

    def bias_of(mask_q, mask_k, past_len):
        """[B,1,S,P+S]: query i (at absolute slot past_len + i) sees real keys j <= past_len + i."""
        s, kk = mask_q.shape[1], mask_k.shape[1]
        causal = torch.arange(kk)[None, :] <= (past_len + torch.arange(s))[:, None]              # [S,K]
        ok = causal[None] & mask_k.bool()[:, None, :]
        return torch.where(ok, 0.0, torch.finfo(torch.float32).min)[:, None]

    def prefix(ids, mask, keep_kv):
        """Blocks 0..L-1 and block L to its MLP: resid_mid, MLP key, MLP out; optionally k/v of every layer."""
        pos = (mask.cumsum(1) - 1).clamp(min=0)
        x = wte[ids] + wpe[pos]
        bias = bias_of(mask, mask, 0)
        for l in range(layer):
            a_out, _ = attention(blocks[l], x, bias)
            x = x + a_out
            x = x + mlp_parts(blocks[l], x)[1]
        a_out, _ = attention(blocks[layer], x, bias)
        mid = x + a_out
        key, out = mlp_parts(blocks[layer], mid)
        kv = None
        if keep_kv:      # delta changes nothing before a row's subject: keys/values there are fixed at layers > L
            kv = []
            x = mid + out
            for l in range(layer + 1, cfg.n_layer):
                a_out, kvl = attention(blocks[l], x, bias)
                kv.append(kvl)
                x = x + a_out
                x = x + mlp_parts(blocks[l], x)[1]
        return mid, key, out, kv

    def tail(x, bias, scored, past=None):
        """Blocks L+1.. from the residual x [B,S,D]; logits at scored [B,P] positions: [B,P,V]."""
        for i, l in enumerate(range(layer + 1, cfg.n_layer)):
            a_out, _ = attention(blocks[l], x, bias, None if past is None else past[i])
            x = x + a_out
            x = x + mlp_parts(blocks[l], x)[1]
        h = x[torch.arange(x.shape[0])[:, None], scored]                                     # [B,P,D]
        return ln(ln_f, h) @ wte.T

    def check_manual_forward():
        """The manual forward equals HF's logits (so the optimised variant computes the same model)."""
        located, _, _ = prompts_of()
        ids, mask = right_padded([r for r, _ in located[:3]])
        with torch.no_grad():
            mid, _, out, _ = prefix(ids, mask, False)
            scored = torch.arange(ids.shape[1]).expand(ids.shape[0], -1)
            mine = tail(mid + out, bias_of(mask, mask, 0), scored)
            ref = model(input_ids=ids, attention_mask=mask).logits
        diff = (mine - ref)[mask.bool()].abs().max().item()
        if diff > 1e-3:
            sys.exit("rome_speed_reference: the manual GPT-2 forward differs from HF's by %g" % diff)

    def edit_optimized():
        located, target, (kl_ids, kl_idx) = prompts_of()
        t, n = len(target), len(located)

        # keys and the bare prompt's k0, m0: one pass over the templates that stops after the layer's MLP
        ids, mask = right_padded([r for r, _ in located])
        idx = torch.tensor([i for _, i in located])
        with torch.no_grad():
            _, key, out, _ = prefix(ids, mask, False)
        keys, values = key[torch.arange(n), idx], out[torch.arange(n), idx]
        k_bar = keys.mean(0)
        u = k_bar / k_bar.norm()

        rows = [r + target[:-1] for r, _ in located] + [kl_ids]
        lookup = [i for _, i in located] + [kl_idx]
        scored = [[len(r) - 1 + j for j in range(t)] for r, _ in located] + [[kl_idx] * t]
        labels = torch.tensor([target] * n)
        ids, mask = right_padded(rows)
        with torch.no_grad():
            mid, _, out, kv = prefix(ids, mask, a.suffix)
        b = len(rows)
        v_init = out[0, lookup[0]].clone()
        if a.suffix:
            # rows from their subject token on, right-padded; the earlier slots are the kept past
            starts = lookup
            width = max(len(r) - s for r, s in zip(rows, starts))
            gather = torch.tensor([[min(s + j, len(r) - 1) for j in range(width)] for r, s in zip(rows, starts)])
            new_mask = torch.tensor([[1 if s + j < len(r) else 0 for j in range(width)] for r, s in zip(rows, starts)])
            past_mask = torch.tensor([[1 if j < s else 0 for j in range(ids.shape[1])] for s in starts])
            rows_idx = torch.arange(b)[:, None]
            resid, mlp_out = mid[rows_idx, gather], out[rows_idx, gather]                    # [B,S,D]
            bias = bias_of(new_mask, torch.cat([past_mask, new_mask], 1), ids.shape[1])
            at = torch.zeros(b, dtype=torch.long)                                            # subject = slot 0
            scored_t = torch.tensor(scored) - torch.tensor(starts)[:, None]
            past = kv
        else:
            resid, mlp_out = mid, out
            bias = bias_of(mask, mask, 0)
            at = torch.tensor(lookup)
            scored_t = torch.tensor(scored)
            past = None
        onehot = torch.zeros(b, resid.shape[1], 1)
        onehot[torch.arange(b), at] = 1.0
        state = {"kl_init": None}

        def step_loss(delta):
            x = resid + (mlp_out + onehot * delta)                                           # block L's residual add
            log_probs = torch.log_softmax(tail(x, bias, scored_t, past), dim=2)               # [B,T,V]
            kl_lp = log_probs[n:, 0]
            if state["kl_init"] is None:
                state["kl_init"] = kl_lp.detach().clone()
            nll = (-log_probs[:n].gather(2, labels.unsqueeze(2)).squeeze(2).sum(1) / t).mean()
            return loss_terms(kl_lp, state["kl_init"], nll, delta, v_init)

        delta, losses = optimise(step_loss, lambda: v_init)
        v_star = v_init + delta
        update = commit(u, v_star, keys[0], values[0])
        return {"losses": losses, "delta": delta, "v_star": v_star, "update": update, "u": u}

    edit = edit_easyedit if a.variant == "easyedit" else edit_optimized
    if a.variant == "optimized":
        check_manual_forward()
    original = c_proj.weight.detach().clone()
    times = []
    result = None
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        result = edit()
        elapsed = time.perf_counter() - t0
        with torch.no_grad():
            c_proj.weight.copy_(original)                           # restore (not timed)
        if i >= a.warmup:
            times.append(elapsed)

    located, target, _ = prompts_of()
    n_params = sum(p.numel() for p in model.parameters())
    out = {
        "impl": "pytorch",
        "variant": a.variant + ("-suffix" if a.variant == "optimized" and a.suffix else ""),
        "model": model_dir,
        "layers": cfg.n_layer,
        "d_model": d,
        "vocab": cfg.vocab_size,
        "params": n_params,
        "layer": layer,
        "steps": len(result["losses"]),
        "templates": len(templates),
        "prompt_tokens": [len(r) for r, _ in located],
        "target_tokens": len(target),
        "threads": torch.get_num_threads(),
        "warmup": a.warmup,
        "iters": a.iters,
        "s_per_edit": round(statistics.median(times), 4),
        "s_mean": round(statistics.fmean(times), 4),
        "s_min": round(min(times), 4),
        "s_max": round(max(times), 4),
        "first_loss": result["losses"][0],
        "final_loss": result["losses"][-1],
        "delta_norm": result["delta"].norm().item(),
        "v_star_norm": result["v_star"].norm().item(),
        "update_norm": result["update"].norm().item(),
        "attention": a.attn if a.variant == "easyedit" else "sdpa (manual blocks)",
        "version": "torch %s, transformers %s" % (torch.__version__, transformers.__version__),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
