package dev.emend.model;

/**
 * Everything Emend knows about one checkpoint's family: the normalised config, where each parameter lives, which
 * stored tensors are buffers to ignore, and which weight and HF module sit at each {@link HookPoint}. Editors ask
 * the architecture; no class outside {@code dev.emend.model.<family>} spells a tensor name.
 */
public interface Architecture {
    /** @return the family name, e.g. "gpt2", "llama" */
    String family();

    /** @return the normalised config */
    ModelConfig config();

    /** @return every parameter's checkpoint name */
    ModelLayout layout();

    /**
     * @param tensorName a tensor found in the checkpoint but not in the layout
     * @return true if it is a known non-parameter (attention-mask buffer, cached rotary frequencies, a duplicate
     *     tied head) that loading may skip
     */
    boolean isIgnorable(String tensorName);

    /**
     * The HF module path at a hook point, as EasyEdit's {@code *_module_tmp} templates name it
     * (e.g. {@code transformer.h.5.mlp.c_proj} for {@code MLP_POST}, whose input is the key).
     *
     * @param site a per-layer site
     * @param layer block index
     * @return the module path
     */
    String moduleName(HookPoint.Site site, int layer);

    /**
     * The projection that reads the activation at {@code site}: for {@code MLP_POST} the MLP output projection, the
     * weight that ROME, MEMIT and AlphaEdit rewrite.
     *
     * @param site {@code MLP_POST}
     * @param layer block index
     * @return the weight with its orientation
     */
    default WeightRef weight(HookPoint.Site site, int layer) {
        if (site != HookPoint.Site.MLP_POST) {
            throw new IllegalArgumentException("no single weight reads from " + site + "; use MLP_POST for the MLP out-projection");
        }
        if (layer < 0 || layer >= config().numLayers()) {
            throw new IllegalArgumentException("layer %d is outside [0, %d)".formatted(layer, config().numLayers()));
        }
        return layout().blocks().get(layer).mlp().down().weight();
    }

    /**
     * The bias added by the weight of {@link #weight}, or null.
     *
     * @param site {@code MLP_POST}
     * @param layer block index
     * @return the bias tensor name or null
     */
    default String bias(HookPoint.Site site, int layer) {
        weight(site, layer);
        return layout().blocks().get(layer).mlp().down().bias();
    }
    /**
     * The module of HF's {@code *ForCausalLM} model whose {@code weight} is this projection: the name adapters use
     * (PEFT {@code target_modules} and adapter keys), e.g. {@code transformer.h.1.mlp.c_proj}. Checkpoints saved from
     * the bare model ({@code GPT2Model}, {@code LlamaModel}) name tensors without the {@code transformer.} /
     * {@code model.} prefix; the module path has it either way, as {@link #moduleName} does.
     *
     * @param weight a projection of {@link #layout()} (attention, MLP or an untied unembedding)
     * @return the module path
     * @throws IllegalArgumentException if the weight is no projection of this model, or is the unembedding tied to
     *     the token embedding (an adapter on {@code lm_head} would leave the embedding that shares it unchanged)
     */
    default String projectionModule(WeightRef weight) {
        ModelLayout layout = layout();
        ModelLayout.Linear head = layout.lmHead();
        if (head.weight().equals(weight)) {
            if (weight.name().equals(layout.tokenEmbedding())) {
                throw new IllegalArgumentException(("%s is the unembedding tied to the token embedding; an adapter "
                        + "cannot change both. Save the edited model instead").formatted(weight.name()));
            }
            return stripWeight(weight.name());
        }
        for (int l = 0; l < layout.blocks().size(); l++) {
            ModelLayout.Block b = layout.blocks().get(l);
            ModelLayout.Attention a = b.attention();
            for (ModelLayout.Linear p : new ModelLayout.Linear[] {a.qkv(), a.q(), a.k(), a.v(), a.out(), b.mlp().up(),
                    b.mlp().gate(), b.mlp().down()}) {
                if (p != null && p.weight().equals(weight)) {
                    // the HF path of this block's MLP out-projection minus its checkpoint name is the prefix the
                    // checkpoint left out ("" or e.g. "transformer.")
                    String hfDown = moduleName(HookPoint.Site.MLP_POST, l);
                    String ckptDown = stripWeight(b.mlp().down().weight().name());
                    if (!hfDown.endsWith(ckptDown)) {
                        throw new IllegalStateException("%s family: module %s does not end with checkpoint name %s"
                                .formatted(family(), hfDown, ckptDown));
                    }
                    return hfDown.substring(0, hfDown.length() - ckptDown.length()) + stripWeight(weight.name());
                }
            }
        }
        throw new IllegalArgumentException(("%s is not a projection of this %s model (or its shape or orientation "
                + "differ); adapters target attention and MLP projections and an untied lm_head")
                .formatted(weight, family()));
    }

    private static String stripWeight(String tensorName) {
        if (!tensorName.endsWith(".weight")) {
            throw new IllegalArgumentException(tensorName + " is not a module's weight");
        }
        return tensorName.substring(0, tensorName.length() - ".weight".length());
    }
}
