"""Checks that folders saved by Emend load in HF transformers with Emend's logits.

Usage (from the repo root):
    mvn -q test -pl emend-core -Dtest=SavedModelExport -Demend.reference.out=/tmp/emend-saved
    ~/.cache/emend/pyenv/bin/python tools/reference/check_saved.py /tmp/emend-saved

Each sub-folder holds an edited model saved with ModelSaver plus emend_logits.safetensors (input_ids, logits).
Prints max |Δlogit| per folder and exits non-zero if any exceeds 1e-4.
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

TOL = 1e-4


def main(root: str) -> int:
    worst = 0.0
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        ref = load_file(str(folder / "emend_logits.safetensors"))
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        with torch.no_grad():
            logits = model(ref["input_ids"]).logits
        d = (logits - ref["logits"]).abs().max().item()
        worst = max(worst, d)
        print(f"{folder.name:14s} max|Δlogit| = {d:.2e}")
    print(f"worst {worst:.2e} (tolerance {TOL:g})")
    return 0 if worst <= TOL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
