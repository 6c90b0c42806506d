package dev.emend.model.gpt2;

import dev.emend.model.Activation;
import dev.emend.model.Architecture;
import dev.emend.model.HfConfig;
import dev.emend.model.HookPoint;
import dev.emend.model.ModelConfig;
import dev.emend.model.ModelFamily;
import dev.emend.model.ModelLayout;
import dev.emend.model.ModelLayout.Attention;
import dev.emend.model.ModelLayout.Block;
import dev.emend.model.ModelLayout.Linear;
import dev.emend.model.ModelLayout.Mlp;
import dev.emend.model.ModelLayout.Norm;
import dev.emend.model.ModelLayout.QkvLayout;
import dev.emend.model.Orientation;
import dev.emend.model.WeightRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GPT-2: learned positions, LayerNorm, fused {@code c_attn}, tanh GELU, tied head. Weights are HF {@code Conv1D},
 * stored [in, out] ({@link Orientation#IN_OUT}). Checkpoints name tensors with or without the {@code transformer.}
 * prefix (GPT2LMHeadModel vs GPT2Model).
 */
public final class Gpt2Family implements ModelFamily {
    @Override
    public String name() {
        return "gpt2";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt2");
    }

    @Override
    public Architecture create(HfConfig c, Set<String> tensorNames) {
        int d = c.requireInt("n_embd");
        int heads = c.requireInt("n_head");
        int headDim = ModelConfig.headDim(d, heads);
        int inner = c.has("n_inner") ? c.requireInt("n_inner") : 4 * d;
        ModelConfig config = new ModelConfig("gpt2", c.requireInt("vocab_size"), d, c.requireInt("n_layer"), heads,
                heads, headDim, inner, c.requireInt("n_positions"), ModelConfig.NormKind.LAYER_NORM,
                c.optDouble("layer_norm_epsilon", 1e-5), Activation.fromHf(c.optString("activation_function", "gelu_new")),
                false, ModelConfig.Residual.SEQUENTIAL, null, true, 0,
                c.optBool("scale_attn_weights", true) ? 1.0 / Math.sqrt(headDim) : 1.0,
                c.optBool("scale_attn_by_inverse_layer_idx", false));
        String p = tensorNames.contains("wte.weight") && !tensorNames.contains("transformer.wte.weight") ? "" : "transformer.";
        return new Gpt2Architecture(config, layout(config, p), p);
    }

    /**
     * A config.json for a new GPT-2-shaped model (used to train the bundled fact-world model).
     *
     * @param layers n_layer
     * @param width n_embd
     * @param heads n_head
     * @param positions n_positions
     * @param vocab vocab_size
     * @param bos BOS/EOS id
     * @return the JSON object
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode configJson(int layers, int width, int heads,
            int positions, int vocab, int bos) {
        var json = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        json.putArray("architectures").add("GPT2LMHeadModel");
        json.put("model_type", "gpt2");
        json.put("vocab_size", vocab);
        json.put("n_positions", positions);
        json.put("n_embd", width);
        json.put("n_layer", layers);
        json.put("n_head", heads);
        json.putNull("n_inner");
        json.put("activation_function", "gelu_new");
        json.put("layer_norm_epsilon", 1e-5);
        json.put("resid_pdrop", 0.0);
        json.put("embd_pdrop", 0.0);
        json.put("attn_pdrop", 0.0);
        json.put("scale_attn_weights", true);
        json.put("tie_word_embeddings", true);
        json.put("bos_token_id", bos);
        json.put("eos_token_id", bos);
        json.put("torch_dtype", "float32");
        return json;
    }

    private static ModelLayout layout(ModelConfig c, String p) {
        long d = c.hiddenSize();
        long f = c.intermediateSize();
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String b = p + "h." + l + ".";
            blocks.add(new Block(
                    new Norm(b + "ln_1.weight", b + "ln_1.bias", d),
                    new Norm(b + "ln_2.weight", b + "ln_2.bias", d),
                    new Attention(QkvLayout.FUSED, conv(b + "attn.c_attn", 3 * d, d), null, null, null,
                            conv(b + "attn.c_proj", d, d)),
                    new Mlp(conv(b + "mlp.c_fc", f, d), null, conv(b + "mlp.c_proj", d, f))));
        }
        return new ModelLayout(p + "wte.weight", p + "wpe.weight", blocks, new Norm(p + "ln_f.weight", p + "ln_f.bias", d),
                new Linear(new WeightRef(p + "wte.weight", Orientation.OUT_IN, c.vocabSize(), d), null));
    }

    private static Linear conv(String module, long out, long in) {
        return new Linear(new WeightRef(module + ".weight", Orientation.IN_OUT, out, in), module + ".bias");
    }

    private record Gpt2Architecture(ModelConfig config, ModelLayout layout, String prefix) implements Architecture {
        @Override
        public String family() {
            return "gpt2";
        }

        @Override
        public boolean isIgnorable(String name) {
            // causal-mask buffers of old checkpoints, and an untied copy of the tied head
            return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.equals("lm_head.weight");
        }

        @Override
        public String moduleName(HookPoint.Site site, int layer) {
            String b = "transformer.h." + layer;
            return switch (site) {
                case RESID_PRE, RESID_POST -> b;
                case ATTN_OUT -> b + ".attn";
                case MLP_POST -> b + ".mlp.c_proj";
                case MLP_OUT -> b + ".mlp";
                default -> throw new IllegalArgumentException(site + " is not a per-layer site");
            };
        }
    }
}
