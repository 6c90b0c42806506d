"""Checks that LoRA adapters written by Emend (PeftAdapter) give Emend's edited logits in PEFT.

Usage (from the repo root):
    mvn -q test -pl emend-core -Dtest=PeftAdapterExport -Demend.reference.out=/tmp/emend-peft
    ~/.cache/emend/pyenv/bin/python tools/reference/check_peft.py /tmp/emend-peft
    # refresh the committed fixture that PeftParityTest reads:
    ~/.cache/emend/pyenv/bin/python tools/reference/check_peft.py /tmp/emend-peft \
        --golden emend-core/src/test/resources/golden/peft

Each sub-folder is an adapter folder (adapter_config.json, adapter_model.safetensors) plus emend_logits.safetensors
(input_ids, logits of the model Emend edited, base_logits before the edit). For each, the base model named by
base_model_name_or_path (resolved against the current directory) is loaded in float32 with eager attention; then
    * its logits must equal base_logits (the two forward passes agree before any edit),
    * PeftModel.from_pretrained must load every lora_A/lora_B exactly, with scaling 1 on every adapted module,
    * the adapted model's logits, and those after merge_and_unload(), must equal Emend's edited logits,
    * and the edit must move the logits (max |edited - base| > 0.1), so the comparison means something.
Prints max |Δlogit| per folder and exits non-zero if any exceeds 1e-4. With --golden DIR, also writes
DIR/<name>/{adapter_config.json, adapter_model.safetensors, peft_logits.safetensors}: the adapter as checked, and
input_ids, PEFT's logits and merged_logits (metadata: library versions and the differences measured here).
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

import peft
import torch
import transformers
from peft import PeftModel
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

TOL = 1e-4
MIN_EFFECT = 0.1


def check(folder: Path, golden: Path | None) -> float:
    ref = load_file(str(folder / "emend_logits.safetensors"))
    config = json.loads((folder / "adapter_config.json").read_text())
    factors = load_file(str(folder / "adapter_model.safetensors"))
    base_dir = Path(config["base_model_name_or_path"])
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager").eval()
    ids = ref["input_ids"]
    with torch.no_grad():
        base = model(ids).logits
    d_base = (base - ref["base_logits"]).abs().max().item()

    model = PeftModel.from_pretrained(model, folder).eval()
    state = model.state_dict()
    for key, value in factors.items():
        # PEFT inserts the adapter name: ...c_proj.lora_A.weight -> ...c_proj.lora_A.default.weight
        loaded = state[key.replace(".weight", ".default.weight")]
        assert torch.equal(loaded, value), f"{folder.name}: {key} not loaded exactly"
    adapted = [(n, m) for n, m in model.named_modules() if isinstance(m, LoraLayer)]
    assert len(adapted) == len(factors) // 2, f"{folder.name}: {len(adapted)} adapted modules, {len(factors) // 2} in the file"
    for n, m in adapted:
        assert m.scaling["default"] == 1.0, f"{folder.name}: {n} has scaling {m.scaling['default']}"
    with torch.no_grad():
        logits = model(ids).logits
        merged_model = model.merge_and_unload().eval()
        merged = merged_model(ids).logits
    d = (logits - ref["logits"]).abs().max().item()
    d_merged = (merged - ref["logits"]).abs().max().item()
    effect = (logits - base).abs().max().item()
    assert effect > MIN_EFFECT, f"{folder.name}: the adapter barely changes the logits ({effect:.2e})"
    print(f"{folder.name:8s} {len(adapted)} modules r={config['r']} fan_in_fan_out={config['fan_in_fan_out']}: "
          f"max|Δlogit| PEFT {d:.2e}, merged {d_merged:.2e}, base {d_base:.2e} (edit moves logits by {effect:.2f})")

    if golden is not None:
        out = golden / folder.name
        out.mkdir(parents=True, exist_ok=True)
        for f in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copyfile(folder / f, out / f)
        save_file({"input_ids": ids.contiguous(), "logits": logits.contiguous(), "merged_logits": merged.contiguous()},
                  str(out / "peft_logits.safetensors"),
                  metadata={"torch": torch.__version__, "transformers": transformers.__version__,
                            "peft": peft.__version__, "max_abs_diff_emend": f"{d:.3e}",
                            "max_abs_diff_emend_merged": f"{d_merged:.3e}"})
    return max(d, d_merged, d_base)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("root", type=Path, help="folder of adapter folders written by PeftAdapterExport")
    p.add_argument("--golden", type=Path, help="also write the fixture PeftParityTest reads into this folder")
    a = p.parse_args()
    worst = 0.0
    for folder in sorted(x for x in a.root.iterdir() if x.is_dir()):
        worst = max(worst, check(folder, a.golden))
    print(f"worst {worst:.2e} (tolerance {TOL:g})")
    return 0 if worst <= TOL else 1


if __name__ == "__main__":
    sys.exit(main())
