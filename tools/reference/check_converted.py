#!/usr/bin/env python3
"""Checks an HF folder that `emend convert` wrote from a GGUF file against transformers reading the GGUF file.

  ./emend convert --model ~/.cache/emend/models/SmolLM2-135M-Instruct.Q4_1.gguf --out /tmp/smol_hf
  ~/.cache/emend/pyenv/bin/python tools/reference/check_converted.py /tmp/smol_hf \
      ~/.cache/emend/models/SmolLM2-135M-Instruct.Q4_1.gguf

Loads the folder with AutoModelForCausalLM/AutoTokenizer (no GGUF involved) and the GGUF file with gguf_file=...,
both in float32, and prints max |dlogit| over all positions of a few prompts, whether every parameter is equal,
whether the tokenizers give the same ids on the fixture strings, and whether the chat templates render the same.
Exits non-zero if anything differs (logits by more than 1e-4).
"""

import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ROOT / "emend-core/src/test/resources/fixtures/smollm2/tokenizer.json"
PROMPTS = ["The capital of France is", "def f(x):\n    return x * 2\n", "1, 2, 3, 4,"]


def main() -> None:
    folder, gguf = Path(sys.argv[1]), Path(sys.argv[2])
    a = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    b = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()
    ta = AutoTokenizer.from_pretrained(folder)
    tb = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    sa, sb = a.state_dict(), b.state_dict()
    params_equal = sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    diff = 0.0
    with torch.no_grad():
        for p in PROMPTS:
            ids = tb(p, return_tensors="pt").input_ids
            diff = max(diff, (a(ids).logits - b(ids).logits).abs().max().item())
    texts = [c["text"] for c in json.loads(TEXTS.read_text())["cases"]] if TEXTS.exists() else PROMPTS
    same = sum(ta(t, add_special_tokens=False).input_ids == tb(t, add_special_tokens=False).input_ids for t in texts)
    conv = [{"role": "user", "content": "What is the capital of France?"}]
    chat_equal = (ta.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
                  == tb.apply_chat_template(conv, tokenize=False, add_generation_prompt=True))
    print(f"parameters equal: {params_equal}; max |dlogit| {diff:.3g}; tokenizer ids equal on {same}/{len(texts)} "
          f"strings (the folder's tokenizer.json has the file's pre-tokenizer); chat template equal: {chat_equal}")
    sys.exit(0 if params_equal and diff <= 1e-4 and chat_equal else 1)


if __name__ == "__main__":
    main()
