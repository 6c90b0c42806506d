"""Checks the bundled fact-world model against HF transformers and writes the Java parity fixture.

Usage (from the repo root):
    ~/.cache/emend/pyenv/bin/python tools/reference/check_fact_world.py [models/fact-world]

Loads the folder with AutoModelForCausalLM (fp32, eager) and its tokenizer.json with PreTrainedTokenizerFast,
asks prompts drawn from world.json (facts in trained and held-out templates, aliases, generic text), and writes
emend-core/src/test/resources/fixtures/fact-world/hf_reference.{json,safetensors}: the prompts, HF's token ids and
HF's logits at every position. FactWorldModelTest compares Emend's ids (identical) and logits (max |Δ| <= 1e-4).
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

OUT = Path("emend-core/src/test/resources/fixtures/fact-world")


def prompt_of(template: str, subject: str) -> str:
    return template[: template.index("{o}")].replace("{s}", subject).rstrip()


def prompts(world: dict) -> list:
    rel = {r["id"]: r for r in world["relations"]}
    out = []
    for f in world["facts"][::97][:12]:
        r = rel[f["relation"]]
        templates = r["templates"] + [r["question"]]
        out.append(prompt_of(templates[f["trained"][0]], f["subject"]))
        if f["heldOut"]:
            out.append(prompt_of(templates[f["heldOut"][0]], f["subject"]))
    aliased = [e for e in world["entities"] if e["aliases"]][:3]
    out += [a["aliases"][0] + " is another name for" for a in aliased]
    out += world["generic"][:4]
    return out


def main(folder: str) -> int:
    folder = Path(folder)
    world = json.loads((folder / "world.json").read_text())
    tok = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    texts = prompts(world)
    ids = [tok(t)["input_ids"] for t in texts]
    for t, i in zip(texts, ids):
        back = tok.decode(i, skip_special_tokens=True)
        assert back == t, f"HF round trip changed {t!r} into {back!r}"
        assert tok.unk_token_id not in i, f"unknown word in {t!r}"
    width = max(len(i) for i in ids)
    vocab = model.config.vocab_size
    input_ids = torch.zeros(len(ids), width, dtype=torch.int64)
    lengths = torch.tensor([len(i) for i in ids], dtype=torch.int64)
    logits = torch.zeros(len(ids), width, vocab, dtype=torch.float32)
    with torch.no_grad():
        for n, row in enumerate(ids):
            x = torch.tensor([row])
            input_ids[n, : len(row)] = x[0]
            logits[n, : len(row)] = model(x).logits[0]
    OUT.mkdir(parents=True, exist_ok=True)
    save_file({"input_ids": input_ids, "lengths": lengths, "logits": logits}, str(OUT / "hf_reference.safetensors"))
    (OUT / "hf_reference.json").write_text(json.dumps({"model": str(folder), "prompts": texts}, indent=1) + "\n")
    top = logits[torch.arange(len(ids)), lengths - 1].argmax(-1)
    for t, k in zip(texts[:6], top[:6]):
        print(f"{t!r} -> {tok.decode([int(k)])!r}")
    print(f"wrote {len(texts)} prompts, width {width}, vocab {vocab} to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "models/fact-world"))
