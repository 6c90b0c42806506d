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
}
