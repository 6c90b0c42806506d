"""AdaLoRA as EasyEdit trains it, in PEFT itself, on the tiny gpt2 fixture: the golden file of AdaLoraParityTest.

Usage (from the repo root):
    ~/.cache/emend/pyenv/bin/python tools/reference/adalora_reference.py \
        --out emend-core/src/test/resources/golden/adalora/tiny-gpt2

EasyEdit's models/lora/lora_main.py with lora_type "adalora" wraps the model with peft.get_peft_model(model,
AdaLoraConfig(...)); AdaLoraModel.forward adds orth_reg_weight * (mean over every lora_A and lora_B matrix of
||A A^T - I||_F resp. ||B^T B - I||_F) to the model's loss, and the loop is zero_grad, loss.backward, Adam step per
batch. This script builds exactly that with PEFT (init_r 4, lora_alpha 8, dropout 0, target_modules c_attn and
mlp.c_proj of layer 1), replaces PEFT's random P, Q and the zero Lambda by seeded values (so the Java side can start
from the same ones), and records for two requests (labels: the prompt masked with -100, HF's mean cross entropy):

* the token ids of each request (prompt, target),
* the start factors lora_A [r,in], lora_B [out,r], lora_E [r,1] per module,
* at the start: the total loss, the cross entropy alone, and the gradient of the total loss w.r.t. every factor
  (both requests in one right-padded batch),
* a training run: 2 epochs of batch_size 1 with torch.optim.Adam(lr 5e-3) from the start factors, every step's
  loss and the final factors.

The model runs in eval mode (no GPT-2 dropout; Emend trains without dropout). PEFT requires total_step for AdaLoRA
(>= 0.14); it only matters to update_and_allocate, which EasyEdit never calls and neither does this script.
"""
import argparse
from pathlib import Path

import peft
import torch
import transformers
from peft import AdaLoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = Path("emend-core/src/test/resources/fixtures/tiny/gpt2")
REQUESTS = [("Eiffel Tower is in the city of", "Rome"), ("The capital of France is", "the big city")]
INIT_R, ALPHA, LR, EPOCHS = 4, 8, 5e-3, 2


def adapted(model):
    """(module name without PEFT's prefix, module) of every AdaLoRA layer, in model order."""
    out = []
    for name, module in model.named_modules():
        if hasattr(module, "lora_E") and "default" in module.lora_E:
            out.append((name.removeprefix("base_model.model."), module))
    return out


def batch(tok, pairs):
    """Right-padded ids, attention mask and labels as EasyEdit builds them (prompt and pad positions -100)."""
    rows, labels = [], []
    for prompt, target in pairs:
        p = tok(prompt)["input_ids"]
        t = tok(" " + target, add_special_tokens=False)["input_ids"]
        rows.append(p + t)
        labels.append([-100] * len(p) + t)
    n = max(len(r) for r in rows)
    ids = torch.tensor([r + [0] * (n - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (n - len(r)) for r in rows])
    lab = torch.tensor([l + [-100] * (n - len(l)) for l in labels])
    return ids, mask, lab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(MODEL)
    base = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32, attn_implementation="eager")
    config = AdaLoraConfig(task_type="CAUSAL_LM", r=8, init_r=INIT_R, lora_alpha=ALPHA, lora_dropout=0.0,
                           target_modules=["c_attn", "mlp.c_proj"], layers_to_transform=[1], total_step=100)
    model = get_peft_model(base, config).eval()
    g = torch.Generator().manual_seed(1234)
    tensors = {}
    modules = adapted(model)
    assert [n for n, _ in modules] == ["transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_proj"], modules
    with torch.no_grad():
        for name, m in modules:
            for key, std in (("lora_A", 0.2), ("lora_B", 0.2), ("lora_E", 0.5)):
                p = getattr(m, key)["default"]
                p.copy_(torch.randn(p.shape, generator=g) * std)
                tensors[f"{name}.{key}"] = p.detach().clone()
            assert m.scaling["default"] == ALPHA and float(m.ranknum["default"]) == INIT_R
    for i, (prompt, target) in enumerate(REQUESTS):
        # float32 throughout (ids < 2^24 are exact), so the Java side reads every tensor one way
        tensors[f"request{i}.prompt"] = torch.tensor(tok(prompt)["input_ids"], dtype=torch.float32)
        tensors[f"request{i}.target"] = torch.tensor(tok(" " + target, add_special_tokens=False)["input_ids"],
                                                     dtype=torch.float32)

    params = [getattr(m, k)["default"] for _, m in modules for k in ("lora_A", "lora_B", "lora_E")]
    ids, mask, lab = batch(tok, REQUESTS)
    out = model(input_ids=ids, attention_mask=mask, labels=lab)
    with torch.no_grad():
        ce = base(input_ids=ids, attention_mask=mask, labels=lab).loss      # the adapters are in base now
    out.loss.backward()
    tensors["start.loss"] = out.loss.detach().reshape(1)
    tensors["start.nll"] = ce.detach().reshape(1)
    for name, m in modules:
        for key in ("lora_A", "lora_B", "lora_E"):
            tensors[f"start.grad.{name}.{key}"] = getattr(m, key)["default"].grad.detach().clone()

    opt = torch.optim.Adam(params, lr=LR, weight_decay=0)
    losses = []
    for _ in range(EPOCHS):
        for pair in REQUESTS:
            opt.zero_grad()
            i, mk, lb = batch(tok, [pair])
            loss = model(input_ids=i, attention_mask=mk, labels=lb).loss
            loss.backward()
            opt.step()
            losses.append(loss.item())
    tensors["train.loss"] = torch.tensor(losses, dtype=torch.float32)
    for name, m in modules:
        for key in ("lora_A", "lora_B", "lora_E"):
            tensors[f"train.{name}.{key}"] = getattr(m, key)["default"].detach().clone()

    args.out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(args.out / "adalora.safetensors"),
              metadata={"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                        "init_r": str(INIT_R), "lora_alpha": str(ALPHA), "lr": str(LR), "epochs": str(EPOCHS)})
    print(f"start loss {out.loss.item():.6f} (cross entropy {ce.item():.6f}), training losses {losses}")


if __name__ == "__main__":
    main()
