package dev.emend.edit;

import dev.emend.ConfigException;
import dev.emend.model.Architecture;
import dev.emend.model.HookPoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks EasyEdit's {@code *_module_tmp} keys against the architecture. Emend finds modules through the
 * {@link Architecture}, never through these strings; a YAML that names other modules was written for another model,
 * and is refused rather than silently ignored.
 */
public final class ModuleTemplates {
    private final Architecture architecture;
    private final List<String> problems = new ArrayList<>();

    /** @param architecture the model's architecture */
    public ModuleTemplates(Architecture architecture) {
        this.architecture = architecture;
    }

    /**
     * Checks a per-layer template, e.g. {@code rewrite_module_tmp: "transformer.h.{}.mlp.c_proj"} for MLP_POST.
     *
     * @param key the YAML key
     * @param template the value, with one {@code {}} for the layer
     * @param site the hook point the module sits at
     * @param layers the layers the params use
     * @return this checker
     */
    public ModuleTemplates layer(String key, String template, HookPoint.Site site, List<Integer> layers) {
        if (template == null) {
            return this;
        }
        if (!template.contains("{}")) {
            problems.add("%s '%s' has no {} for the layer".formatted(key, template));
            return this;
        }
        for (int layer : layers) {
            if (layer < 0 || layer >= architecture.config().numLayers()) {
                continue; // reported by the layer check
            }
            String expected = architecture.moduleName(site, layer);
            String actual = template.replace("{}", Integer.toString(layer));
            if (!expected.equals(actual)) {
                problems.add("%s '%s' names %s, but in this %s model that module is %s".formatted(key, template, actual,
                        architecture.family(), expected));
                break;
            }
        }
        return this;
    }

    /**
     * Checks a module name without a layer ({@code ln_f_module}, {@code lm_head_module}) against the parameter the
     * architecture uses there.
     *
     * @param key the YAML key
     * @param module the value, e.g. "transformer.ln_f"
     * @param parameter the architecture's parameter at that place, e.g. the final norm's weight name
     * @return this checker
     */
    public ModuleTemplates module(String key, String module, String parameter) {
        if (module == null) {
            return this;
        }
        String owner = parameter.endsWith(".weight") ? parameter.substring(0, parameter.length() - ".weight".length()) : parameter;
        // HF module paths carry the wrapper prefix (transformer., model.) even when a checkpoint's tensor names don't;
        // moduleName() spells modules with it, so derive the prefix from block 0's names
        String blockModule = architecture.moduleName(HookPoint.Site.RESID_PRE, 0);
        String blockParam = architecture.layout().blocks().get(0).ln1().weight();
        String prefix = "";
        for (int i = 0; ; i = blockModule.indexOf('.', i) + 1) {
            String p = blockModule.substring(0, i);
            if ((p + blockParam).startsWith(blockModule + ".")) {
                prefix = p;
                break;
            }
            if (blockModule.indexOf('.', i) < 0) {
                break;
            }
        }
        if (!module.equals(owner) && !module.equals(prefix + owner)) {
            problems.add("%s '%s' does not name %s of this %s model".formatted(key, module, prefix + owner,
                    architecture.family()));
        }
        return this;
    }

    /**
     * The checks every locate-then-edit params file needs (ROME, MEMIT, AlphaEdit): layers and {@code v_loss_layer}
     * in range, and the six module keys. {@code lm_head_module: "lm_head"} is accepted for every family whose HF
     * class has an {@code lm_head} module (EasyEdit's AlphaEdit gpt2-xl file says so although GPT-2 ties it to wte).
     *
     * @param layers {@code layers}
     * @param vLossLayer {@code v_loss_layer}
     * @param rewrite {@code rewrite_module_tmp}
     * @param layer {@code layer_module_tmp}
     * @param mlp {@code mlp_module_tmp}
     * @param attn {@code attn_module_tmp}
     * @param lnF {@code ln_f_module}
     * @param lmHead {@code lm_head_module}
     * @return this checker
     */
    public ModuleTemplates locateParams(List<Integer> layers, int vLossLayer, String rewrite, String layer, String mlp,
            String attn, String lnF, String lmHead) {
        int n = architecture.config().numLayers();
        return layers("layers", layers)
                .require(vLossLayer >= 0 && vLossLayer < n, "v_loss_layer %d is outside the model's layers 0..%d".formatted(vLossLayer, n - 1))
                .layer("rewrite_module_tmp", rewrite, HookPoint.Site.MLP_POST, layers)
                .layer("layer_module_tmp", layer, HookPoint.Site.RESID_POST, layers)
                .layer("mlp_module_tmp", mlp, HookPoint.Site.MLP_OUT, layers)
                .layer("attn_module_tmp", attn, HookPoint.Site.ATTN_OUT, layers)
                .module("ln_f_module", lnF, architecture.layout().finalNorm().weight())
                .module("lm_head_module", "lm_head".equals(lmHead) && !"gpt_neox".equals(architecture.family())
                        ? null : lmHead, architecture.layout().lmHead().weight().name());
    }

    /**
     * Checks layer indices.
     *
     * @param key the YAML key
     * @param layers the values
     * @return this checker
     */
    public ModuleTemplates layers(String key, List<Integer> layers) {
        int n = architecture.config().numLayers();
        for (int l : layers) {
            if (l < 0 || l >= n) {
                problems.add("%s contains %d, but the model has layers 0..%d".formatted(key, l, n - 1));
            }
        }
        return this;
    }

    /**
     * Adds a problem found by the caller.
     *
     * @param condition true if there is a problem
     * @param message what is wrong
     * @return this checker
     */
    public ModuleTemplates require(boolean condition, String message) {
        if (!condition) {
            problems.add(message);
        }
        return this;
    }

    /**
     * Throws if anything disagreed.
     *
     * @param source the params' origin for the message (file or alg_name)
     * @throws ConfigException listing every problem
     */
    public void check(String source) {
        if (!problems.isEmpty()) {
            throw new ConfigException("%s does not fit this model: %s. The YAML was probably written for another model; "
                    .formatted(source, String.join("; ", problems))
                    + "use or copy one made for it (Emend finds modules itself and only checks these keys)");
        }
    }
}
