package dev.emend.edit.rome;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.edit.EditParams;
import dev.emend.edit.ModuleTemplates;
import dev.emend.edit.locate.FactToken;
import dev.emend.model.Architecture;
import java.util.HashSet;
import java.util.List;

/**
 * ROME and R-ROME hyper-parameters with EasyEdit's YAML keys ({@code hparams/ROME/*.yaml},
 * {@code hparams/R-ROME/*.yaml}, {@code ROMEHyperParams}); those files load unchanged. Keys without a default in
 * EasyEdit are required here too.
 *
 * <p>Key modes: {@code alg_name: ROME} computes what the original code computes (bare-prompt key and value in the
 * update, §2.2). EasyEdit's current ROME defaults {@code enable_random_prefix_keys} to true, which silently makes
 * its "ROME" an r-ROME; Emend keeps the two methods apart: a ROME file may not set {@code enable_prompt_keys} and
 * its {@code enable_random_prefix_keys} is ignored. {@code alg_name: R-ROME} uses consistent keys: the template
 * mean (default) or, with {@code enable_prompt_keys: true}, the prompt key; {@code original_implementation: true}
 * reverts to ROME's mixed keys.
 *
 * @param algName "ROME" or "R-ROME"
 * @param modelName recorded only; Emend never loads a model from it
 * @param statsDir where layer statistics are cached unless the edit context names a folder
 * @param device recorded only (a CUDA ordinal in EasyEdit)
 * @param layers edited layers (one for ROME; several are edited one after another)
 * @param factToken which token carries the subject
 * @param vNumGradSteps iterations of the v* optimisation
 * @param vLr Adam learning rate of δ
 * @param vLossLayer checked to lie in the model; ROME's loss reads the final logits
 * @param vWeightDecay weight of ‖δ‖/‖v_init‖²
 * @param clampNormFactor ‖δ‖ ≤ clampNormFactor · ‖v_init‖
 * @param klFactor weight of the essence KL term
 * @param mom2Adjustment use the key second moment C (true) or C = I (false)
 * @param contextTemplateLengthParams {@code [[length, count], ...]} of the generated context templates
 * @param rewriteModuleTmp checked: the out-projection module, e.g. {@code transformer.h.{}.mlp.c_proj}
 * @param layerModuleTmp checked: the block module
 * @param mlpModuleTmp checked: the MLP module
 * @param attnModuleTmp checked: the attention module
 * @param lnFModule checked: the final norm
 * @param lmHeadModule checked: the unembedding
 * @param mom2Dataset the corpus name for C (resolved through the edit context; nothing is downloaded)
 * @param mom2NSamples documents of the corpus to read
 * @param mom2Dtype accumulation type of C: float32 or float64
 * @param maxLength recorded (EasyEdit evaluation length, default 40)
 * @param modelParallel recorded (default false)
 * @param fp16 whether EasyEdit would load the model in fp16 (default false); Emend edits the model as loaded
 * @param enablePromptKeys R-ROME: use the prompt key everywhere (p-ROME)
 * @param enableRandomPrefixKeys R-ROME: use the template-mean key everywhere (r-ROME, default)
 * @param originalImplementation R-ROME: behave as ROME
 */
public record RomeParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty(value = "stats_dir", required = true) String statsDir,
        @JsonProperty(value = "device", required = true) int device,
        @JsonProperty(value = "layers", required = true) List<Integer> layers,
        @JsonProperty(value = "fact_token", required = true) FactToken factToken,
        @JsonProperty(value = "v_num_grad_steps", required = true) int vNumGradSteps,
        @JsonProperty(value = "v_lr", required = true) double vLr,
        @JsonProperty(value = "v_loss_layer", required = true) int vLossLayer,
        @JsonProperty(value = "v_weight_decay", required = true) double vWeightDecay,
        @JsonProperty(value = "clamp_norm_factor", required = true) double clampNormFactor,
        @JsonProperty(value = "kl_factor", required = true) double klFactor,
        @JsonProperty(value = "mom2_adjustment", required = true) boolean mom2Adjustment,
        @JsonProperty(value = "context_template_length_params", required = true) List<List<Integer>> contextTemplateLengthParams,
        @JsonProperty(value = "rewrite_module_tmp", required = true) String rewriteModuleTmp,
        @JsonProperty(value = "layer_module_tmp", required = true) String layerModuleTmp,
        @JsonProperty(value = "mlp_module_tmp", required = true) String mlpModuleTmp,
        @JsonProperty(value = "attn_module_tmp", required = true) String attnModuleTmp,
        @JsonProperty(value = "ln_f_module", required = true) String lnFModule,
        @JsonProperty(value = "lm_head_module", required = true) String lmHeadModule,
        @JsonProperty(value = "mom2_dataset", required = true) String mom2Dataset,
        @JsonProperty(value = "mom2_n_samples", required = true) int mom2NSamples,
        @JsonProperty(value = "mom2_dtype", required = true) String mom2Dtype,
        @JsonProperty("max_length") Integer maxLength,
        @JsonProperty("model_parallel") Boolean modelParallel,
        @JsonProperty("fp16") Boolean fp16,
        @JsonProperty("enable_prompt_keys") Boolean enablePromptKeys,
        @JsonProperty("enable_random_prefix_keys") Boolean enableRandomPrefixKeys,
        @JsonProperty("original_implementation") Boolean originalImplementation) implements EditParams {

    /** The method name of original ROME. */
    public static final String ROME = "ROME";
    /** The method name of R-ROME. */
    public static final String R_ROME = "R-ROME";

    /** Which key (and value) the closed-form update uses. */
    public enum KeyMode {
        /** ROME's code: direction from k̄, residual and denominator from the bare prompt's k₀, m₀. */
        ORIGINAL,
        /** r-ROME: k̄ and m̄, the means over the context templates, everywhere. */
        RANDOM_PREFIX,
        /** p-ROME: the bare prompt's k₀ and m₀ everywhere. */
        PROMPT
    }

    /** Validates values and fills EasyEdit's defaults. */
    public RomeParams {
        require(ROME.equals(algName) || R_ROME.equals(algName), "alg_name must be ROME or R-ROME, got '%s'", algName);
        require(layers != null && !layers.isEmpty(), "layers must list at least one layer");
        require(new HashSet<>(layers).size() == layers.size(), "layers %s lists a layer twice", layers);
        require(factToken != null, "fact_token is required");
        require(vNumGradSteps >= 1, "v_num_grad_steps must be at least 1, got %d", vNumGradSteps);
        require(vLr > 0 && Double.isFinite(vLr), "v_lr must be positive and finite, got %s", vLr);
        require(vWeightDecay >= 0 && Double.isFinite(vWeightDecay), "v_weight_decay must be >= 0, got %s", vWeightDecay);
        require(clampNormFactor > 0 && Double.isFinite(clampNormFactor), "clamp_norm_factor must be positive, got %s", clampNormFactor);
        require(klFactor >= 0 && Double.isFinite(klFactor), "kl_factor must be >= 0, got %s", klFactor);
        require(contextTemplateLengthParams != null, "context_template_length_params is required");
        for (List<Integer> lp : contextTemplateLengthParams) {
            require(lp.size() == 2 && lp.get(0) >= 1 && lp.get(1) >= 0,
                    "context_template_length_params entries must be [length >= 1, count >= 0], got %s", lp);
        }
        require(mom2NSamples >= 1, "mom2_n_samples must be at least 1, got %d", mom2NSamples);
        require("float32".equals(mom2Dtype) || "float64".equals(mom2Dtype), "mom2_dtype must be float32 or float64, got '%s'", mom2Dtype);
        maxLength = maxLength == null ? 40 : maxLength;
        modelParallel = modelParallel != null && modelParallel;
        fp16 = fp16 != null && fp16;
        enablePromptKeys = enablePromptKeys != null && enablePromptKeys;
        enableRandomPrefixKeys = enableRandomPrefixKeys == null || enableRandomPrefixKeys;
        originalImplementation = originalImplementation != null && originalImplementation;
        if (ROME.equals(algName)) {
            require(!enablePromptKeys, "enable_prompt_keys selects p-ROME; use alg_name: R-ROME for it");
        } else if (!originalImplementation) {
            require(enablePromptKeys != enableRandomPrefixKeys,
                    "enable_prompt_keys and enable_random_prefix_keys are both %s; R-ROME needs exactly one", enablePromptKeys);
        }
        layers = List.copyOf(layers);
        contextTemplateLengthParams = contextTemplateLengthParams.stream().map(List::copyOf).toList();
    }

    /** @return which keys the closed-form update uses */
    public KeyMode keyMode() {
        if (ROME.equals(algName) || originalImplementation) {
            return KeyMode.ORIGINAL;
        }
        return enablePromptKeys ? KeyMode.PROMPT : KeyMode.RANDOM_PREFIX;
    }

    @Override
    public void checkAgainst(Architecture architecture) {
        new ModuleTemplates(architecture)
                .locateParams(layers, vLossLayer, rewriteModuleTmp, layerModuleTmp, mlpModuleTmp, attnModuleTmp, lnFModule,
                        lmHeadModule)
                .check("%s params".formatted(algName));
    }

    private static void require(boolean ok, String message, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(message.formatted(args));
        }
    }
}
