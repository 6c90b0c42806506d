package dev.emend.model.gptj;

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
import dev.emend.model.Rotary;
import dev.emend.model.WeightRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GPT-J: one LayerNorm feeding attention and MLP in parallel, partial interleaved rotary ({@code rotary_dim} of
 * each head, rotate-every-two, base 10000), bias-free attention, an LM head with bias.
 */
public final class GptJFamily implements ModelFamily {
    @Override
    public String name() {
        return "gptj";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of("gptj");
    }

    @Override
    public Architecture create(HfConfig c, Set<String> tensorNames) {
        int d = c.requireInt("n_embd");
        int heads = c.requireInt("n_head");
        int headDim = ModelConfig.headDim(d, heads);
        int rotaryDim = c.has("rotary_dim") ? c.requireInt("rotary_dim") : headDim;
        ModelConfig config = new ModelConfig("gptj", c.requireInt("vocab_size"), d, c.requireInt("n_layer"), heads,
                heads, headDim, c.has("n_inner") ? c.requireInt("n_inner") : 4 * d, c.requireInt("n_positions"),
                ModelConfig.NormKind.LAYER_NORM, c.optDouble("layer_norm_epsilon", 1e-5),
                Activation.fromHf(c.optString("activation_function", "gelu_new")), false,
                ModelConfig.Residual.PARALLEL_SHARED_NORM, new Rotary(rotaryDim, 10000.0, true, Rotary.Scaling.none()),
                c.optBool("tie_word_embeddings", false), 0, 1.0 / Math.sqrt(headDim), false);
        return new GptJArchitecture(config, layout(config));
    }

    private static ModelLayout layout(ModelConfig c) {
        long d = c.hiddenSize();
        long f = c.intermediateSize();
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String b = "transformer.h." + l + ".";
            blocks.add(new Block(
                    new Norm(b + "ln_1.weight", b + "ln_1.bias", d),
                    null,
                    new Attention(QkvLayout.SEPARATE, null, linear(b + "attn.q_proj", d, d, false),
                            linear(b + "attn.k_proj", d, d, false), linear(b + "attn.v_proj", d, d, false),
                            linear(b + "attn.out_proj", d, d, false)),
                    new Mlp(linear(b + "mlp.fc_in", f, d, true), null, linear(b + "mlp.fc_out", d, f, true))));
        }
        Linear head = c.tiedEmbeddings()
                ? new Linear(new WeightRef("transformer.wte.weight", Orientation.OUT_IN, c.vocabSize(), d), "lm_head.bias")
                : linear("lm_head", c.vocabSize(), d, true);
        return new ModelLayout("transformer.wte.weight", null, blocks,
                new Norm("transformer.ln_f.weight", "transformer.ln_f.bias", d), head);
    }

    private static Linear linear(String module, long out, long in, boolean bias) {
        return new Linear(new WeightRef(module + ".weight", Orientation.OUT_IN, out, in), bias ? module + ".bias" : null);
    }

    private record GptJArchitecture(ModelConfig config, ModelLayout layout) implements Architecture {
        @Override
        public String family() {
            return "gptj";
        }

        @Override
        public boolean isIgnorable(String name) {
            return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")
                    || name.endsWith("embed_positions") || (config.tiedEmbeddings() && name.equals("lm_head.weight"));
        }

        @Override
        public String moduleName(HookPoint.Site site, int layer) {
            String b = "transformer.h." + layer;
            return switch (site) {
                case RESID_PRE, RESID_POST -> b;
                case ATTN_OUT -> b + ".attn";
                case MLP_POST -> b + ".mlp.fc_out";
                case MLP_OUT -> b + ".mlp";
                default -> throw new IllegalArgumentException(site + " is not a per-layer site");
            };
        }
    }
}
