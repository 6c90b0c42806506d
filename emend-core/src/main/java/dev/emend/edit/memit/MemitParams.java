package dev.emend.edit.memit;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.edit.EditParams;
import dev.emend.edit.ModuleTemplates;
import dev.emend.edit.locate.FactToken;
import dev.emend.edit.locate.KeyStatistics;
import dev.emend.model.Architecture;
import java.util.HashSet;
import java.util.List;

/**
 * MEMIT and AlphaEdit hyper-parameters with EasyEdit's YAML keys ({@code MEMITHyperParams},
 * {@code AlphaEditHyperParams}); EasyEdit's files load unchanged. The two methods share every key but AlphaEdit's
 * three ({@code nullspace_threshold}, {@code L2}, {@code P_loc}), which a MEMIT file may not carry (EasyEdit's
 * dataclass would refuse them too).
 *
 * <p>Differences from EasyEdit, each deliberate: {@code mom2_adjustment: false} means {@code C = I} for MEMIT (EasyEdit
 * ignores the flag and always reads C; AlphaEdit needs C and refuses false); {@code layer_selection} and
 * {@code P_loc} are recorded only (the null-space basis is computed from C and kept per editor, never read from a file
 * that may belong to another model); {@code context_template_length_params} is an Emend key, default
 * {@code [[10, 5]]}: "{}" and five generated contexts of 10 tokens, the templates MEMIT's code hard-wires.
 *
 * @param algName "MEMIT" or "AlphaEdit"
 * @param modelName recorded only
 * @param statsDir where layer statistics are cached unless the edit context names a folder
 * @param device recorded only
 * @param layers the edited layers; z is optimised at the last one
 * @param layerSelection recorded only ("all" or "random"; EasyEdit's code does not read it)
 * @param factToken which token carries the subject
 * @param vNumGradSteps iterations of the z optimisation
 * @param vLr Adam learning rate of δ
 * @param vLossLayer checked to lie in the model; the loss reads the final logits
 * @param vWeightDecay weight of ‖δ‖/‖h‖²
 * @param clampNormFactor ‖δ‖ ≤ clampNormFactor · ‖h‖
 * @param klFactor weight of the essence KL term
 * @param mom2Adjustment MEMIT: use C (true) or the identity (false); AlphaEdit: must be true
 * @param mom2UpdateWeight λ, the weight of the preserved keys (MEMIT; AlphaEdit records it)
 * @param rewriteModuleTmp checked: the out-projection module
 * @param layerModuleTmp checked: the block module
 * @param mlpModuleTmp checked: the MLP module
 * @param attnModuleTmp checked: the attention module
 * @param lnFModule checked: the final norm
 * @param lmHeadModule checked: the unembedding
 * @param mom2Dataset the corpus name for C, resolved through the edit context
 * @param mom2NSamples documents of the corpus to read
 * @param mom2Dtype accumulation type of C
 * @param nullspaceThreshold AlphaEdit: eigenvalues of C below this span the protected null space (absolute)
 * @param l2 AlphaEdit: the ridge α of the projected solve ({@code L2})
 * @param pLoc AlphaEdit: recorded only
 * @param maxLength recorded (EasyEdit's evaluation length)
 * @param batchSize recorded (EasyEdit's batch size)
 * @param modelParallel recorded
 * @param fp16 whether EasyEdit would load the model in fp16; Emend edits the model as loaded
 * @param contextTemplateLengthParams Emend: {@code [[length, count], ...]} of the generated context templates
 */
public record MemitParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty(value = "stats_dir", required = true) String statsDir,
        @JsonProperty(value = "device", required = true) int device,
        @JsonProperty(value = "layers", required = true) List<Integer> layers,
        @JsonProperty(value = "layer_selection", required = true) String layerSelection,
        @JsonProperty(value = "fact_token", required = true) FactToken factToken,
        @JsonProperty(value = "v_num_grad_steps", required = true) int vNumGradSteps,
        @JsonProperty(value = "v_lr", required = true) double vLr,
        @JsonProperty(value = "v_loss_layer", required = true) int vLossLayer,
        @JsonProperty(value = "v_weight_decay", required = true) double vWeightDecay,
        @JsonProperty(value = "clamp_norm_factor", required = true) double clampNormFactor,
        @JsonProperty(value = "kl_factor", required = true) double klFactor,
        @JsonProperty(value = "mom2_adjustment", required = true) boolean mom2Adjustment,
        @JsonProperty(value = "mom2_update_weight", required = true) double mom2UpdateWeight,
        @JsonProperty(value = "rewrite_module_tmp", required = true) String rewriteModuleTmp,
        @JsonProperty(value = "layer_module_tmp", required = true) String layerModuleTmp,
        @JsonProperty(value = "mlp_module_tmp", required = true) String mlpModuleTmp,
        @JsonProperty(value = "attn_module_tmp", required = true) String attnModuleTmp,
        @JsonProperty(value = "ln_f_module", required = true) String lnFModule,
        @JsonProperty(value = "lm_head_module", required = true) String lmHeadModule,
        @JsonProperty(value = "mom2_dataset", required = true) String mom2Dataset,
        @JsonProperty(value = "mom2_n_samples", required = true) int mom2NSamples,
        @JsonProperty(value = "mom2_dtype", required = true) String mom2Dtype,
        @JsonProperty("nullspace_threshold") Double nullspaceThreshold,
        @JsonProperty("L2") Double l2,
        @JsonProperty("P_loc") String pLoc,
        @JsonProperty("max_length") Integer maxLength,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("model_parallel") Boolean modelParallel,
        @JsonProperty("fp16") Boolean fp16,
        @JsonProperty("context_template_length_params") List<List<Integer>> contextTemplateLengthParams) implements EditParams {

    /** The method name of MEMIT. */
    public static final String MEMIT = "MEMIT";
    /** The method name of AlphaEdit. */
    public static final String ALPHA_EDIT = "AlphaEdit";

    /** Validates values and fills EasyEdit's defaults. */
    public MemitParams {
        require(MEMIT.equals(algName) || ALPHA_EDIT.equals(algName), "alg_name must be MEMIT or AlphaEdit, got '%s'", algName);
        require(layers != null && !layers.isEmpty(), "layers must list at least one layer");
        require(new HashSet<>(layers).size() == layers.size(), "layers %s lists a layer twice", layers);
        require("all".equals(layerSelection) || "random".equals(layerSelection),
                "layer_selection must be all or random, got '%s'", layerSelection);
        require(factToken != null, "fact_token is required");
        require(vNumGradSteps >= 1, "v_num_grad_steps must be at least 1, got %d", vNumGradSteps);
        require(vLr > 0 && Double.isFinite(vLr), "v_lr must be positive and finite, got %s", vLr);
        require(vWeightDecay >= 0 && Double.isFinite(vWeightDecay), "v_weight_decay must be >= 0, got %s", vWeightDecay);
        require(clampNormFactor > 0 && Double.isFinite(clampNormFactor), "clamp_norm_factor must be positive, got %s", clampNormFactor);
        require(klFactor >= 0 && Double.isFinite(klFactor), "kl_factor must be >= 0, got %s", klFactor);
        require(mom2UpdateWeight > 0 && Double.isFinite(mom2UpdateWeight), "mom2_update_weight must be positive, got %s", mom2UpdateWeight);
        require(mom2NSamples >= 1, "mom2_n_samples must be at least 1, got %d", mom2NSamples);
        require("float32".equals(mom2Dtype) || "float64".equals(mom2Dtype), "mom2_dtype must be float32 or float64, got '%s'", mom2Dtype);
        if (ALPHA_EDIT.equals(algName)) {
            require(nullspaceThreshold != null && nullspaceThreshold > 0 && Double.isFinite(nullspaceThreshold),
                    "AlphaEdit needs nullspace_threshold > 0 (EasyEdit: 2e-2), got %s", nullspaceThreshold);
            require(l2 != null && l2 > 0 && Double.isFinite(l2), "AlphaEdit needs L2 > 0 (EasyEdit: 10 for gpt2-xl), got %s", l2);
            require(pLoc != null, "AlphaEdit needs P_loc (recorded only; Emend computes the projector from C)");
            require(mom2Adjustment, "AlphaEdit projects onto the null space of C, so mom2_adjustment must be true");
        } else {
            require(nullspaceThreshold == null && l2 == null && pLoc == null,
                    "nullspace_threshold, L2 and P_loc are AlphaEdit keys; remove them from a MEMIT file or set alg_name: AlphaEdit");
        }
        if (contextTemplateLengthParams == null) {
            contextTemplateLengthParams = List.of(List.of(10, 5));
        }
        for (List<Integer> lp : contextTemplateLengthParams) {
            require(lp.size() == 2 && lp.get(0) >= 1 && lp.get(1) >= 0,
                    "context_template_length_params entries must be [length >= 1, count >= 0], got %s", lp);
        }
        maxLength = maxLength == null ? 40 : maxLength;
        batchSize = batchSize == null ? 1 : batchSize;
        modelParallel = modelParallel != null && modelParallel;
        fp16 = fp16 != null && fp16;
        layers = List.copyOf(layers);
        contextTemplateLengthParams = contextTemplateLengthParams.stream().map(List::copyOf).toList();
    }

    /** @return true for AlphaEdit */
    public boolean alphaEdit() {
        return ALPHA_EDIT.equals(algName);
    }

    /** @return the layers in ascending order (the order MEMIT spreads the residual in) */
    public List<Integer> sortedLayers() {
        return layers.stream().sorted().toList();
    }

    /** @return where the key statistics come from */
    public KeyStatistics.Source statisticsSource() {
        return new KeyStatistics.Source(mom2Dataset, mom2NSamples, mom2Dtype, statsDir);
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
