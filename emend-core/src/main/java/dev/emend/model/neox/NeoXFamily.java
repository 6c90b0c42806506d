package dev.emend.model.neox;

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
 * GPT-NeoX (Pythia): LayerNorm, a fused {@code query_key_value} projection laid out per head, partial rotate-half
 * rotary ({@code rotary_pct} of each head), and a parallel residual when {@code use_parallel_residual}.
 */
public final class NeoXFamily implements ModelFamily {
    @Override
    public String name() {
        return "gpt_neox";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt_neox");
    }

    @Override
    public Architecture create(HfConfig c, Set<String> tensorNames) {
        int d = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int headDim = ModelConfig.headDim(d, heads);
        ModelConfig config = new ModelConfig("gpt_neox", c.requireInt("vocab_size"), d,
                c.requireInt("num_hidden_layers"), heads, heads, headDim, c.requireInt("intermediate_size"),
                c.optInt("max_position_embeddings", 2048), ModelConfig.NormKind.LAYER_NORM,
                c.optDouble("layer_norm_eps", 1e-5), Activation.fromHf(c.optString("hidden_act", "gelu")), false,
                c.optBool("use_parallel_residual", true) ? ModelConfig.Residual.PARALLEL : ModelConfig.Residual.SEQUENTIAL,
                c.rotary(headDim, 10000.0, 0.25, false), c.optBool("tie_word_embeddings", false), 0,
                1.0 / Math.sqrt(headDim), false);
        return new NeoXArchitecture(config, layout(config, c.optBool("attention_bias", true)));
    }

    private static ModelLayout layout(ModelConfig c, boolean attnBias) {
        long d = c.hiddenSize();
        long f = c.intermediateSize();
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String b = "gpt_neox.layers." + l + ".";
            blocks.add(new Block(
                    new Norm(b + "input_layernorm.weight", b + "input_layernorm.bias", d),
                    new Norm(b + "post_attention_layernorm.weight", b + "post_attention_layernorm.bias", d),
                    new Attention(QkvLayout.FUSED_PER_HEAD, linear(b + "attention.query_key_value", 3 * d, d, attnBias),
                            null, null, null, linear(b + "attention.dense", d, d, attnBias)),
                    new Mlp(linear(b + "mlp.dense_h_to_4h", f, d, true), null, linear(b + "mlp.dense_4h_to_h", d, f, true))));
        }
        String head = c.tiedEmbeddings() ? "gpt_neox.embed_in.weight" : "embed_out.weight";
        return new ModelLayout("gpt_neox.embed_in.weight", null, blocks,
                new Norm("gpt_neox.final_layer_norm.weight", "gpt_neox.final_layer_norm.bias", d),
                new Linear(new WeightRef(head, Orientation.OUT_IN, c.vocabSize(), d), null));
    }

    private static Linear linear(String module, long out, long in, boolean bias) {
        return new Linear(new WeightRef(module + ".weight", Orientation.OUT_IN, out, in), bias ? module + ".bias" : null);
    }

    private record NeoXArchitecture(ModelConfig config, ModelLayout layout) implements Architecture {
        @Override
        public String family() {
            return "gpt_neox";
        }

        @Override
        public boolean isIgnorable(String name) {
            return name.endsWith(".attention.bias") && !name.contains("query_key_value") && !name.contains("dense")
                    || name.endsWith(".attention.masked_bias") || name.endsWith("rotary_emb.inv_freq")
                    || (config.tiedEmbeddings() && name.equals("embed_out.weight"));
        }

        @Override
        public String moduleName(HookPoint.Site site, int layer) {
            String b = "gpt_neox.layers." + layer;
            return switch (site) {
                case RESID_PRE, RESID_POST -> b;
                case ATTN_OUT -> b + ".attention";
                case MLP_POST -> b + ".mlp.dense_4h_to_h";
                case MLP_OUT -> b + ".mlp";
                default -> throw new IllegalArgumentException(site + " is not a per-layer site");
            };
        }
    }
}
