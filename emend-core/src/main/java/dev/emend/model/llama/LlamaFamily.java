package dev.emend.model.llama;

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
 * The Llama family: Llama 2/3, SmolLM2, Mistral and Qwen2. RMSNorm, rotary (rotate-half), grouped-query attention,
 * SwiGLU MLP, {@code nn.Linear} weights stored [out, in]. Differences inside the family: Qwen2 has q/k/v biases;
 * Llama has optional {@code attention_bias}/{@code mlp_bias}; Mistral (and Qwen2 with {@code use_sliding_window})
 * attend within a sliding window.
 */
public final class LlamaFamily implements ModelFamily {
    @Override
    public String name() {
        return "llama";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of("llama", "mistral", "qwen2");
    }

    @Override
    public Architecture create(HfConfig c, Set<String> tensorNames) {
        String type = c.optString("model_type", "llama");
        int d = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int headDim = c.has("head_dim") ? c.requireInt("head_dim") : ModelConfig.headDim(d, heads);
        int window = switch (type) {
            case "mistral" -> c.optInt("sliding_window", 0);
            case "qwen2" -> c.optBool("use_sliding_window", false) ? c.optInt("sliding_window", 0) : 0;
            default -> 0;
        };
        ModelConfig config = new ModelConfig(type, c.requireInt("vocab_size"), d, c.requireInt("num_hidden_layers"),
                heads, c.optInt("num_key_value_heads", heads), headDim, c.requireInt("intermediate_size"),
                c.optInt("max_position_embeddings", 2048), ModelConfig.NormKind.RMS_NORM, c.optDouble("rms_norm_eps", 1e-6),
                Activation.fromHf(c.optString("hidden_act", "silu")), true, ModelConfig.Residual.SEQUENTIAL,
                c.rotary(headDim, 10000.0, 1.0, false), c.optBool("tie_word_embeddings", false), window,
                1.0 / Math.sqrt(headDim), false);
        boolean qkvBias = type.equals("qwen2") || c.optBool("attention_bias", false);
        boolean outBias = !type.equals("qwen2") && c.optBool("attention_bias", false);
        boolean mlpBias = c.optBool("mlp_bias", false);
        String p = tensorNames.contains("embed_tokens.weight") && !tensorNames.contains("model.embed_tokens.weight")
                ? "" : "model.";
        return new LlamaArchitecture(type, config, layout(config, p, qkvBias, outBias, mlpBias));
    }

    private static ModelLayout layout(ModelConfig c, String p, boolean qkvBias, boolean outBias, boolean mlpBias) {
        long d = c.hiddenSize();
        long f = c.intermediateSize();
        long qDim = (long) c.numHeads() * c.headDim();
        long kvDim = (long) c.numKvHeads() * c.headDim();
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String b = p + "layers." + l + ".";
            blocks.add(new Block(
                    new Norm(b + "input_layernorm.weight", null, d),
                    new Norm(b + "post_attention_layernorm.weight", null, d),
                    new Attention(QkvLayout.SEPARATE, null,
                            linear(b + "self_attn.q_proj", qDim, d, qkvBias),
                            linear(b + "self_attn.k_proj", kvDim, d, qkvBias),
                            linear(b + "self_attn.v_proj", kvDim, d, qkvBias),
                            linear(b + "self_attn.o_proj", d, qDim, outBias)),
                    new Mlp(linear(b + "mlp.up_proj", f, d, mlpBias), linear(b + "mlp.gate_proj", f, d, mlpBias),
                            linear(b + "mlp.down_proj", d, f, mlpBias))));
        }
        String head = c.tiedEmbeddings() ? p + "embed_tokens.weight" : "lm_head.weight";
        return new ModelLayout(p + "embed_tokens.weight", null, blocks, new Norm(p + "norm.weight", null, d),
                new Linear(new WeightRef(head, Orientation.OUT_IN, c.vocabSize(), d), null));
    }

    private static Linear linear(String module, long out, long in, boolean bias) {
        return new Linear(new WeightRef(module + ".weight", Orientation.OUT_IN, out, in), bias ? module + ".bias" : null);
    }

    private record LlamaArchitecture(String family, ModelConfig config, ModelLayout layout) implements Architecture {
        @Override
        public boolean isIgnorable(String name) {
            return name.endsWith("rotary_emb.inv_freq") || (config.tiedEmbeddings() && name.equals("lm_head.weight"));
        }

        @Override
        public String moduleName(HookPoint.Site site, int layer) {
            String b = "model.layers." + layer;
            return switch (site) {
                case RESID_PRE, RESID_POST -> b;
                case ATTN_OUT -> b + ".self_attn";
                case MLP_POST -> b + ".mlp.down_proj";
                case MLP_OUT -> b + ".mlp";
                default -> throw new IllegalArgumentException(site + " is not a per-layer site");
            };
        }
    }
}
