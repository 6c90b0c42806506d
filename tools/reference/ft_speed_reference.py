#!/usr/bin/env python3
"""Seconds per FT-L / FT-M / LoRA edit in plain PyTorch: the baseline of Emend's fine-tuning speed benchmark
(BENCHMARKS.md, "Fine-tuning editors: seconds per edit"; tools/bench/run-ft-bench.sh runs both sides).

Our own transcriptions of what EasyEdit computes, the way it computes it, on HF transformers (GPT2LMHeadModel):

  FT-L, FT-M  easyeditor/models/ft/ft_main.py execute_ft + apply_ft_to_model: the parameters whose name contains
              rewrite_module_tmp.format(layer) (GPT-2: c_proj weight and bias), a copy of them, torch.optim.Adam
              (lr, coupled weight_decay), requires_grad set on exactly those; per epoch and batch: tokenise, a full
              forward (logits at every position), the loss, loss.item(), backward and Adam step if the loss is
              >= the threshold, the L-infinity clamp to W0 +- norm_constraint; stop when the epoch mean is below the
              threshold; deltas W - W0, restore, then apply_ft_to_model adds the deltas.
                FT-L (prompt_last): log_softmax of the last prompt position's logits, every target token scored
                there, unk tokens masked, per-request mean then batch mean.
                FT-M (target_new): tok(prompt + " " + target), shifted CE, masked to the target, per-request mean
                then batch mean.
  LoRA        easyeditor/models/lora/lora_main.py execute_lora: use_cache off, gradient_checkpointing_enable and
              enable_input_require_grads (as EasyEdit; checkpointing acts only in training mode and the model stays
              in eval mode, as EasyEdit leaves it), peft.get_peft_model with LoraConfig(r, lora_alpha, lora_dropout,
              layers_to_transform, target_modules) (AdaLoraConfig for lora_type adalora, PEFT's init_r and
              orthogonality penalty), torch.optim.Adam over peft_model.parameters(); per epoch and batch:
              tok(f"{prompt} {target}"), labels with the prompt and pad positions -100, peft_model(**tokens).loss,
              loss.item(), backward, Adam step. No threshold, no early stop. The adapter stays attached (EasyEdit
              does not merge it); it is removed after the timing (peft unload()).

Same request and steps as Emend: the prompt is encoded with the tokenizer's special tokens, FT-L's targets without
them (Emend's TargetTokens; EasyEdit's tok(" " + target) would add a BOS-adding tokenizer's BOS as a target token),
and LoRA's A (AdaLoRA's Q and P) start from the values Emend draws (java.util.Random seeded with the params' seed,
reproduced here; B and Lambda start at zero as in PEFT), so the loss of every step can be compared. --no-early-stop
sets FT's threshold to -inf (every batch steps, all num_steps epochs), as emend bench-edit --no-early-stop does.

Timed per edit: everything from the request to the edited model (tokenisation, optimiser and adapter set-up
included); restoring the model afterwards is not timed. Prints one JSON line with the keys of emend bench-edit.
Usage (from the repo root):

  OMP_NUM_THREADS=1 ~/.cache/emend/pyenv/bin/python tools/reference/ft_speed_reference.py \\
      --model ~/.cache/emend/bench/gpt2-random --method FT-M --params tools/bench/ft/gpt2-small-FT-M.yaml \\
      --case tools/bench/rome/case.json --no-early-stop --threads 1 --warmup 1 --iters 3
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CASE = os.path.join(REPO_ROOT, "tools", "bench", "rome", "case.json")
METHODS = ("FT-L", "FT-M", "LoRA", "AdaLoRA")
FT_THRESHOLD = 1e-2          # ft_main.py: no step below it, stop when the epoch mean is below it
ADALORA_INIT_STD = 0.02      # PEFT's AdaLoRA init of lora_A and lora_B


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="HF model folder")
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--params", required=True, help="EasyEdit hparams YAML (Emend's bundled or tools/bench/ft/*.yaml)")
    p.add_argument("--case", help="JSON with \"request\" {prompt, subject, target_new}; default: --cases")
    p.add_argument("--cases", type=int, default=10,
                   help="without --case: the first N cases of the model's bench/modification.json, in turn")
    p.add_argument("--no-early-stop", action="store_true", help="FT: threshold -inf (every batch steps, all epochs)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 = leave torch's default")
    a = p.parse_args(argv)
    if a.warmup < 0 or a.iters < 1:
        p.error("--iters must be >= 1 and --warmup >= 0")
    return a


def load_params(path, method):
    import yaml
    with open(path) as f:
        hp = yaml.safe_load(f)
    for k in ("lr", "weight_decay", "lora_alpha", "lora_dropout", "orth_reg_weight"):
        if k in hp:
            hp[k] = float(hp[k])      # EasyEdit's YAML writes 5e-4, which YAML 1.1 reads as a string
    if isinstance(hp.get("norm_constraint"), str):
        hp["norm_constraint"] = float(hp["norm_constraint"])
    if method.startswith("FT"):
        want = "prompt_last" if method == "FT-L" else "target_new"
        got = hp.get("objective_optimization", want)
        if got != want:
            sys.exit("ft_speed_reference: %s says objective_optimization %s, not %s (%s)" % (path, got, want, method))
        hp["objective_optimization"] = got
    else:
        want = "adalora" if method == "AdaLoRA" else "lora"
        if hp.get("lora_type") != want:
            sys.exit("ft_speed_reference: %s says lora_type %s; %s needs %s" % (path, hp.get("lora_type"), method, want))
    hp.setdefault("batch_size", 64 if method.startswith("FT") else 128)
    return hp


def requests_of(a):
    if a.case:
        with open(a.case) as f:
            r = json.load(f)["request"]
        return [r]
    with open(os.path.join(a.model, "bench", "modification.json")) as f:
        return json.load(f)[:a.cases]


class JavaRandom:
    """java.util.Random (48-bit LCG), for the adapter initialisation Emend's LoraEditor draws."""
    MULT, ADD, MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1

    def __init__(self, seed):
        self.s = (seed ^ self.MULT) & self.MASK
        self.next_gaussian = None

    def next(self, bits):
        self.s = (self.s * self.MULT + self.ADD) & self.MASK
        return self.s >> (48 - bits)

    def next_double(self):
        return ((self.next(26) << 27) + self.next(27)) * (1.0 / (1 << 53))

    def gaussian(self):           # the polar method of Random.nextGaussian
        if self.next_gaussian is not None:
            g, self.next_gaussian = self.next_gaussian, None
            return g
        while True:
            v1, v2 = 2 * self.next_double() - 1, 2 * self.next_double() - 1
            s = v1 * v1 + v2 * v2
            if 0 < s < 1:
                break
        m = math.sqrt(-2 * math.log(s) / s)
        self.next_gaussian = v2 * m
        return v1 * m


def main(argv=None):
    a = parse_args(argv)
    import warnings
    warnings.filterwarnings("ignore", category=FutureWarning)      # is_gradient_checkpointing's deprecation
    warnings.filterwarnings("ignore", message=".*fan_in_fan_out.*")  # PEFT on GPT-2's Conv1D sets it itself
    import numpy as np
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    a.model = os.path.abspath(os.path.expanduser(a.model))
    hp = load_params(a.params, a.method)
    requests = requests_of(a)
    tok = AutoTokenizer.from_pretrained(a.model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token                                  # EasyEdit's editor does this for GPT-2
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    cfg = model.config

    def prompt_of(r):
        return r["prompt"].replace("{}", r["subject"]) if "{}" in r["prompt"] else r["prompt"]

    def chunks(xs, n):
        return [xs[i:i + n] for i in range(0, len(xs), n)]

    threshold = -math.inf if a.no_early_stop else FT_THRESHOLD

    # ---------------------------------------------------------------------------------------------- FT (ft_main.py)
    def ft_edit(batch_requests):
        weights = {n: p for n, p in model.named_parameters() for layer in hp["layers"]
                   if hp["rewrite_module_tmp"].format(layer) in n}
        weights_copy = {k: v.detach().clone() for k, v in weights.items()}
        texts = [prompt_of(r) for r in batch_requests]
        targets = [" " + r["target_new"] for r in batch_requests]
        opt = torch.optim.Adam([v for _, v in weights.items()], lr=hp["lr"], weight_decay=hp["weight_decay"])
        for name, w in model.named_parameters():
            w.requires_grad = name in weights
        losses = []
        for _ in range(hp["num_steps"]):
            total, n = 0.0, 0
            for txt, tgt in zip(chunks(texts, hp["batch_size"]), chunks(targets, hp["batch_size"])):
                inputs = tok(txt, return_tensors="pt", padding=True)
                if hp["objective_optimization"] == "prompt_last":
                    target_ids = tok(tgt, return_tensors="pt", padding=True, add_special_tokens=False)["input_ids"]
                    last_token_inds = inputs["attention_mask"].sum(dim=1) - 1
                    loss_mask = (torch.ne(target_ids, tok.unk_token_id) if tok.unk_token_id is not None
                                 else torch.ones_like(target_ids, dtype=torch.bool))
                else:
                    inputs_targets = tok([t + g for t, g in zip(txt, tgt)], return_tensors="pt", padding=True)
                    num_prompt_toks = [int((i != tok.pad_token_id).sum()) for i in inputs["input_ids"]]
                    num_pad_toks = [int((i == tok.pad_token_id).sum()) for i in inputs_targets["input_ids"]]
                    prompt_len = [x + y for x, y in zip(num_pad_toks, num_prompt_toks)]
                    width = inputs_targets["input_ids"].size(1)
                    label_mask = torch.tensor([[False] * k + [True] * (width - k) for k in prompt_len])
                opt.zero_grad()
                bs = inputs["input_ids"].shape[0]
                if hp["objective_optimization"] == "prompt_last":
                    probs = torch.nn.functional.log_softmax(model(**inputs).logits[torch.arange(bs), last_token_inds],
                                                            dim=-1)
                    loss = -(torch.gather(probs, 1, target_ids) * loss_mask).sum(1) / loss_mask.sum(1)
                    loss = loss.mean()
                else:
                    logits = model(**inputs_targets).logits
                    shift_logits = logits[..., :-1, :].contiguous()
                    shift_labels = inputs_targets["input_ids"][..., 1:].contiguous()
                    loss = torch.nn.CrossEntropyLoss(reduction="none")(
                        shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1)).view(bs, -1)
                    loss = (loss * label_mask[:, 1:]).sum(1) / label_mask[:, 1:].sum(1)
                    loss = loss.mean()
                value = loss.item()
                losses.append(value)
                total, n = total + value * bs, n + bs
                if value >= threshold:
                    loss.backward()
                    opt.step()
                if isinstance(hp["norm_constraint"], float):
                    eps = hp["norm_constraint"]
                    with torch.no_grad():
                        for k, v in weights.items():
                            v[...] = torch.clamp(v, min=weights_copy[k] - eps, max=weights_copy[k] + eps)
            if total / n < threshold:
                break
        deltas = {k: (weights[k] - weights_copy[k]).detach() for k in weights}
        with torch.no_grad():
            for k, v in weights.items():
                v[...] = weights_copy[k]
            for k, v in weights.items():                               # apply_ft_to_model
                v[...] += deltas[k]
        return losses, (weights, weights_copy, deltas)

    def ft_after(state):
        weights, weights_copy, deltas = state
        norm = math.sqrt(sum(float(d.double().square().sum()) for d in deltas.values()))
        with torch.no_grad():
            for k, v in weights.items():
                v[...] = weights_copy[k]
        for p in model.parameters():
            p.requires_grad_(False)
        return norm, len(weights)

    # ------------------------------------------------------------------------------------------ LoRA (lora_main.py)
    from peft import AdaLoraConfig, LoraConfig, TaskType, get_peft_model

    ada = hp.get("lora_type") == "adalora"
    init = None
    if not a.method.startswith("FT"):
        # Emend's initial factors: targets in layer order, then the projections' order (PEFT's module order too)
        layers = hp["layers"] or list(range(cfg.num_hidden_layers))
        mods = [n for n, _ in model.named_modules()]
        def layer_of(n):
            m = re.search(r"\.(\d+)\.", n)
            return int(m.group(1)) if m else None
        names = [n for l in layers for n in mods
                 if any(n == t or n.endswith("." + t) for t in hp["target_modules"]) and layer_of(n) == l]
        rank = int(hp.get("init_r", 12)) if ada else int(hp["rank"])
        rnd = JavaRandom(int(hp.get("seed", 0)))
        init = {}
        for n in names:
            w = model.get_submodule(n).weight                           # GPT-2 Conv1D: [in, out]
            d_in, d_out = w.shape if type(model.get_submodule(n)).__name__ == "Conv1D" else w.shape[::-1]
            if ada:
                A = np.array([ADALORA_INIT_STD * rnd.gaussian() for _ in range(rank * d_in)], dtype=np.float32)
                B = np.array([ADALORA_INIT_STD * rnd.gaussian() for _ in range(d_out * rank)], dtype=np.float32)
            else:
                bound = 1.0 / math.sqrt(d_in)
                A = np.array([(2 * rnd.next_double() - 1) * bound for _ in range(rank * d_in)], dtype=np.float32)
                B = None
            init[n] = (torch.from_numpy(A).view(rank, d_in), None if B is None else torch.from_numpy(B).view(d_out, rank))

    def lora_edit(batch_requests):
        nonlocal model
        model.config.use_cache = False
        model.supports_gradient_checkpointing = True
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
        common = dict(task_type=TaskType.CAUSAL_LM, inference_mode=False, r=hp["rank"], lora_alpha=hp["lora_alpha"],
                      lora_dropout=hp["lora_dropout"],
                      layers_to_transform=hp["layers"] if len(hp["layers"]) > 0 else None,
                      target_modules=hp["target_modules"])
        if ada:
            steps = hp["num_steps"] * len(chunks(batch_requests, hp["batch_size"]))
            config = AdaLoraConfig(init_r=int(hp.get("init_r", 12)), total_step=steps, **common)
        else:
            config = LoraConfig(**common)
        peft_model = get_peft_model(model, config)
        with torch.no_grad():                                          # start from Emend's factors
            for n, (A, B) in init.items():
                m = peft_model.base_model.model.get_submodule(n)
                m.lora_A["default"].copy_(A) if ada else m.lora_A["default"].weight.copy_(A)
                if ada:
                    m.lora_B["default"].copy_(B)
        texts = [prompt_of(r) for r in batch_requests]
        targets = [r["target_new"] for r in batch_requests]
        opt = torch.optim.Adam(peft_model.parameters(), lr=hp["lr"], weight_decay=hp["weight_decay"])
        losses = []
        for _ in range(hp["num_steps"]):
            for txt, tgt in zip(chunks(texts, hp["batch_size"]), chunks(targets, hp["batch_size"])):
                opt.zero_grad()
                full_prompt = [f"{p} {l}" for p, l in zip(txt, tgt)]
                prompt_ids = tok(list(txt), return_tensors="pt", padding=True, truncation=True)["input_ids"]
                num_prompt_toks = [int((i != tok.pad_token_id).sum()) for i in prompt_ids]
                tokens = tok(full_prompt, return_tensors="pt", padding=True, truncation=True)
                tokens["labels"] = tokens["input_ids"].clone()
                num_pad_toks = [int((i == tok.pad_token_id).sum()) for i in tokens["labels"]]
                for i in range(len(txt)):
                    tokens["labels"][i][num_pad_toks[i]:num_pad_toks[i] + num_prompt_toks[i]] = -100
                tokens["labels"][tokens["input_ids"] == tok.pad_token_id] = -100
                loss = peft_model(**tokens).loss
                losses.append(loss.item())
                loss.backward()
                opt.step()
        return losses, peft_model

    def lora_after(peft_model):
        nonlocal model
        sq, count = 0.0, 0
        with torch.no_grad():
            for n in init:
                m = peft_model.base_model.model.get_submodule(n)
                if ada:
                    delta = (m.lora_B["default"] @ (m.lora_A["default"] * m.lora_E["default"])) * m.scaling["default"] \
                        / (m.ranknum["default"] + 1e-5)
                else:
                    delta = (m.lora_B["default"].weight @ m.lora_A["default"].weight) * m.scaling["default"]
                sq += float(delta.double().square().sum())
                count += 1
        model = peft_model.unload()
        model.disable_input_require_grads()
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        return math.sqrt(sq), count

    edit, after = (ft_edit, ft_after) if a.method.startswith("FT") else (lora_edit, lora_after)
    for p in model.parameters():
        p.requires_grad_(False)
    times, first, losses, norm, count = [], None, None, None, None
    for i in range(a.warmup + a.iters):
        r = requests[i % len(requests)]
        t0 = time.perf_counter()
        losses, state = edit([r])
        s = time.perf_counter() - t0
        norm, count = after(state)
        if i == 0:
            first = s
        if i >= a.warmup:
            times.append(s)

    def rounded(x):
        return round(x, 3)

    print(json.dumps({
        "impl": "pytorch", "variant": "easyedit", "model": a.model, "layers": cfg.num_hidden_layers,
        "d_model": cfg.hidden_size, "vocab": cfg.vocab_size, "params": sum(p.numel() for p in model.parameters()),
        "method": a.method, "hparams": os.path.relpath(os.path.abspath(a.params), REPO_ROOT)
        if os.path.abspath(a.params).startswith(REPO_ROOT) else a.params,
        "steps": len(losses), "requests": len(requests), "early_stop": "off" if a.no_early_stop else "on",
        "threads": torch.get_num_threads(), "warmup": a.warmup, "iters": a.iters,
        "s_per_edit": rounded(statistics.median(times)), "s_mean": rounded(statistics.mean(times)),
        "s_min": rounded(min(times)), "s_max": rounded(max(times)), "s_first_edit": rounded(first),
        "first_loss": losses[0], "final_loss": losses[-1], "update_norm": norm, "trained_tensors": count,
        "version": "torch %s, transformers %s, peft %s" % (torch.__version__, transformers.__version__,
                                                          __import__("peft").__version__)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
