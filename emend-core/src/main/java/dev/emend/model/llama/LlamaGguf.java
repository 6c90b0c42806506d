package dev.emend.model.llama;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.ModelLoadException;
import dev.emend.UnsupportedArchitectureException;
import dev.emend.gguf.GgufFile;
import dev.emend.gguf.GgufMetadata;
import dev.emend.gguf.GgufTensorInfo;
import dev.emend.gguf.GgufWriter;
import dev.emend.model.Activation;
import dev.emend.model.GgufFamily;
import dev.emend.model.ModelConfig;
import dev.emend.model.Rotary;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp's {@code llama} architecture (Llama 1-3, SmolLM2, Mistral converted as llama) as the {@link LlamaFamily}.
 *
 * <p>Tensor names ({@code convert_hf_to_gguf.py}, gguf-py {@code tensor_mapping.py}):
 * <pre>
 * token_embd.weight           model.embed_tokens.weight          [V, D]
 * blk.N.attn_norm.weight      model.layers.N.input_layernorm.weight
 * blk.N.attn_q|k|v.weight     model.layers.N.self_attn.q|k|v_proj.weight   (q and k rows permuted, below)
 * blk.N.attn_output.weight    model.layers.N.self_attn.o_proj.weight
 * blk.N.ffn_norm.weight       model.layers.N.post_attention_layernorm.weight
 * blk.N.ffn_gate|up|down      model.layers.N.mlp.gate|up|down_proj.weight
 * output_norm.weight          model.norm.weight
 * output.weight               lm_head.weight                     (absent: tied to token_embd)
 * </pre>
 *
 * <p>Rotary row order. HF Llama rotates dimension {@code i} of a head with {@code i + hd/2} (rotate-half); llama.cpp
 * rotates adjacent pairs {@code (2i, 2i+1)}. The converter therefore reorders the rows of {@code q_proj} (per query
 * head) and {@code k_proj} (per key/value head), and their biases: {@code W.reshape(n_head, 2, hd/2, in)
 * .swapaxes(1, 2)}, i.e. GGUF row {@code h*hd + 2i + a} holds HF row {@code h*hd + a*hd/2 + i} ({@code a} in
 * {0, 1}). {@link #unpermute} is the exact inverse of {@link #permute}; {@code LlamaGgufTest} checks both against a hand-worked case and
 * shows that interleaved rotary on GGUF rows equals rotate-half on HF rows.
 */
public final class LlamaGguf implements GgufFamily {
    private static final String A = "llama.";
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Pattern HF_BLOCK = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    /** GGUF name within a block to HF name within a layer. */
    private static final Map<String, String> IN_BLOCK = new LinkedHashMap<>();
    private static final Map<String, String> GLOBAL = new LinkedHashMap<>();

    static {
        IN_BLOCK.put("attn_norm.weight", "input_layernorm.weight");
        for (String[] p : new String[][] {{"attn_q", "self_attn.q_proj"}, {"attn_k", "self_attn.k_proj"},
            {"attn_v", "self_attn.v_proj"}, {"attn_output", "self_attn.o_proj"}, {"ffn_gate", "mlp.gate_proj"},
            {"ffn_up", "mlp.up_proj"}, {"ffn_down", "mlp.down_proj"}}) {
            IN_BLOCK.put(p[0] + ".weight", p[1] + ".weight");
            IN_BLOCK.put(p[0] + ".bias", p[1] + ".bias");
        }
        IN_BLOCK.put("ffn_norm.weight", "post_attention_layernorm.weight");
        GLOBAL.put("token_embd.weight", "model.embed_tokens.weight");
        GLOBAL.put("output_norm.weight", "model.norm.weight");
        GLOBAL.put("output.weight", "lm_head.weight");
    }

    @Override
    public String architecture() {
        return "llama";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of("llama");
    }

    @Override
    public ObjectNode hfConfig(GgufFile file) {
        GgufMetadata md = file.metadata();
        if (file.find("rope_freqs.weight") != null) {
            throw new ModelLoadException(("%s has rope_freqs.weight, per-frequency rotary factors (Llama 3.1-style rope "
                    + "scaling), which Emend does not read from GGUF yet. Load the original HF checkpoint folder instead.")
                    .formatted(file.file()));
        }
        GgufTensorInfo embed = file.tensor("token_embd.weight");
        int d = md.getInt(A + "embedding_length");
        int heads = md.getInt(A + "attention.head_count");
        int headDim = md.getInt(A + "attention.key_length", d / Math.max(1, heads));
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("model_type", "llama");
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("vocab_size", embed.shape()[0]);
        c.put("hidden_size", d);
        c.put("intermediate_size", md.getInt(A + "feed_forward_length"));
        c.put("num_hidden_layers", md.getInt(A + "block_count"));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", md.getInt(A + "attention.head_count_kv", heads));
        c.put("head_dim", headDim);
        c.put("max_position_embeddings", md.getInt(A + "context_length"));
        c.put("rms_norm_eps", md.getDouble(A + "attention.layer_norm_rms_epsilon"));
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", file.find("output.weight") == null);
        c.put("attention_bias", file.find("blk.0.attn_q.bias") != null);
        c.put("mlp_bias", file.find("blk.0.ffn_up.bias") != null);
        ObjectNode rope = c.putObject("rope_parameters");
        rope.put("rope_theta", md.has(A + "rope.freq_base") ? md.getDouble(A + "rope.freq_base") : 10000.0);
        int rotDim = md.getInt(A + "rope.dimension_count", headDim);
        if (rotDim != headDim) {
            rope.put("partial_rotary_factor", rotDim / (double) headDim);
        }
        String scaling = md.getString(A + "rope.scaling.type", "none");
        if (scaling.equals("none") && md.has(A + "rope.scale_linear")) { // the key before rope.scaling.* existed
            scaling = "linear";
        }
        switch (scaling) {
            case "none" -> rope.put("rope_type", "default");
            case "linear" -> rope.put("rope_type", "linear").put("factor", md.has(A + "rope.scaling.factor")
                    ? md.getDouble(A + "rope.scaling.factor") : md.getDouble(A + "rope.scale_linear"));
            case "yarn" -> rope.put("rope_type", "yarn").put("factor", md.getDouble(A + "rope.scaling.factor"))
                    .put("original_max_position_embeddings", md.getInt(A + "rope.scaling.original_context_length"));
            default -> throw new ModelLoadException(("%s: llama.rope.scaling.type is \"%s\"; Emend reads none, linear and "
                    + "yarn. Load the original HF checkpoint folder instead.").formatted(file.file(), scaling));
        }
        for (String[] k : new String[][] {{"bos_token_id", "tokenizer.ggml.bos_token_id"},
            {"eos_token_id", "tokenizer.ggml.eos_token_id"}, {"pad_token_id", "tokenizer.ggml.padding_token_id"}}) {
            if (md.has(k[1])) {
                c.put(k[0], md.getLong(k[1]));
            }
        }
        c.put("dtype", "float32");
        return c;
    }

    @Override
    public String hfName(String ggufName) {
        String g = GLOBAL.get(ggufName);
        if (g != null) {
            return g;
        }
        Matcher m = BLOCK.matcher(ggufName);
        if (m.matches() && IN_BLOCK.containsKey(m.group(2))) {
            return "model.layers." + Integer.parseInt(m.group(1)) + "." + IN_BLOCK.get(m.group(2));
        }
        return null;
    }

    @Override
    public String ggufName(String hfName) {
        for (Map.Entry<String, String> e : GLOBAL.entrySet()) {
            if (e.getValue().equals(hfName)) {
                return e.getKey();
            }
        }
        Matcher m = HF_BLOCK.matcher(hfName);
        if (m.matches()) {
            for (Map.Entry<String, String> e : IN_BLOCK.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return "blk." + m.group(1) + "." + e.getKey();
                }
            }
        }
        throw new IllegalArgumentException("llama GGUF files have no tensor for '%s'".formatted(hfName));
    }

    @Override
    public boolean reorders(String hfName) {
        return hfName.contains(".self_attn.q_proj.") || hfName.contains(".self_attn.k_proj.");
    }

    private static int heads(String hfName, ModelConfig c) {
        return hfName.contains(".self_attn.q_proj.") ? c.numHeads() : c.numKvHeads();
    }

    @Override
    public float[] fromGguf(String hfName, float[] values, ModelConfig config) {
        return reorders(hfName) ? unpermute(values, heads(hfName, config), config.headDim()) : values;
    }

    @Override
    public float[] toGguf(String hfName, float[] values, ModelConfig config) {
        return reorders(hfName) ? permute(values, heads(hfName, config), config.headDim()) : values;
    }

    /**
     * llama.cpp's {@code LlamaModel.permute}: {@code w.reshape(heads, 2, hd/2, cols).swapaxes(1, 2)}, so GGUF row
     * {@code h*hd + 2i + a} holds HF row {@code h*hd + a*hd/2 + i}.
     *
     * @param w a [heads * hd, cols] matrix or [heads * hd] bias, row-major, rows in HF order
     * @param heads query heads for q, key/value heads for k
     * @param headDim hd, even
     * @return a new array, rows in GGUF order
     */
    public static float[] permute(float[] w, int heads, int headDim) {
        return reorder(w, heads, headDim, true);
    }

    /**
     * The inverse of {@link #permute} (transformers' {@code _reverse_permute_weights}:
     * {@code w.reshape(heads, hd/2, 2, cols).swapaxes(2, 1)}).
     *
     * @param w rows in GGUF order
     * @param heads query heads for q, key/value heads for k
     * @param headDim hd, even
     * @return a new array, rows in HF order
     */
    public static float[] unpermute(float[] w, int heads, int headDim) {
        return reorder(w, heads, headDim, false);
    }

    private static float[] reorder(float[] w, int heads, int headDim, boolean toGguf) {
        long rows = (long) heads * headDim;
        if (heads <= 0 || headDim <= 0 || headDim % 2 != 0 || w.length % rows != 0) {
            throw new IllegalArgumentException("%d values are not %d heads of %d (even) rows".formatted(w.length, heads,
                    headDim));
        }
        int cols = (int) (w.length / rows);
        int half = headDim / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int a = 0; a < 2; a++) {
                    int gguf = h * headDim + 2 * i + a;
                    int hf = h * headDim + a * half + i;
                    int from = toGguf ? hf : gguf;
                    int to = toGguf ? gguf : hf;
                    System.arraycopy(w, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    @Override
    public void writeMetadata(ModelConfig c, GgufWriter out) {
        if (!modelTypes().contains(c.modelType())) {
            throw new UnsupportedArchitectureException(("model_type '%s' cannot be written as GGUF architecture llama; "
                    + "supported: %s").formatted(c.modelType(), modelTypes()));
        }
        Rotary r = c.rotary();
        if (c.activation() != Activation.SILU || c.slidingWindow() != 0 || r == null || r.interleaved()) {
            throw new UnsupportedArchitectureException(("this %s model (activation %s, sliding window %d) is not one "
                    + "llama.cpp's llama architecture can run; save it as an HF folder instead").formatted(c.modelType(),
                            c.activation(), c.slidingWindow()));
        }
        out.putString("general.architecture", "llama");
        out.putUint32(A + "vocab_size", c.vocabSize());
        out.putUint32(A + "context_length", c.maxPositions());
        out.putUint32(A + "embedding_length", c.hiddenSize());
        out.putUint32(A + "block_count", c.numLayers());
        out.putUint32(A + "feed_forward_length", c.intermediateSize());
        out.putUint32(A + "rope.dimension_count", r.dim());
        out.putUint32(A + "attention.head_count", c.numHeads());
        out.putUint32(A + "attention.head_count_kv", c.numKvHeads());
        if (c.headDim() != c.hiddenSize() / c.numHeads()) {
            out.putUint32(A + "attention.key_length", c.headDim());
            out.putUint32(A + "attention.value_length", c.headDim());
        }
        out.putFloat32(A + "attention.layer_norm_rms_epsilon", (float) c.normEps());
        out.putFloat32(A + "rope.freq_base", (float) r.theta());
        Rotary.Scaling s = r.scaling();
        switch (s.type()) {
            case "default" -> { }
            case "linear" -> out.putString(A + "rope.scaling.type", "linear")
                    .putFloat32(A + "rope.scaling.factor", (float) s.factor());
            case "yarn" -> out.putString(A + "rope.scaling.type", "yarn")
                    .putFloat32(A + "rope.scaling.factor", (float) s.factor())
                    .putUint32(A + "rope.scaling.original_context_length", s.originalMaxPositions());
            default -> throw new UnsupportedArchitectureException(("rope scaling '%s' cannot be written to GGUF by Emend "
                    + "yet (llama.cpp stores it as a rope_freqs tensor); save the model as an HF folder instead")
                    .formatted(s.type()));
        }
    }
}
