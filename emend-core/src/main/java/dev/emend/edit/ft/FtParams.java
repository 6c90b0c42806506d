package dev.emend.edit.ft;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.edit.EditParams;
import dev.emend.edit.ModuleTemplates;
import dev.emend.model.Architecture;
import dev.emend.model.HookPoint;
import java.util.HashSet;
import java.util.List;

/**
 * FT-L and FT-M hyper-parameters with EasyEdit's YAML keys ({@code hparams/FT/*.yaml}, {@code FTHyperParams}); those
 * files load unchanged. EasyEdit names both methods {@code alg_name: FT} and tells them apart by
 * {@code objective_optimization}: {@code prompt_last} is FT-L, {@code target_new} is FT-M. Emend accepts
 * {@code alg_name} FT (the method follows from the objective), or FT-L / FT-M (the objective, when given, must agree;
 * when absent it follows from the name).
 *
 * @param algName "FT", "FT-L" or "FT-M"
 * @param modelName recorded only
 * @param device recorded only
 * @param layers layers whose {@code rewrite_module_tmp} parameters are trained
 * @param numSteps epochs over the requests
 * @param batchSize requests per optimiser step (EasyEdit default 64)
 * @param maxLength recorded (EasyEdit default 40; Emend never truncates a prompt)
 * @param lr Adam learning rate
 * @param weightDecay torch Adam's coupled L2 ({@code g + λ·w})
 * @param klFactor must be 0 (EasyEdit's FT reads the key but has no KL term)
 * @param normConstraint {@code false}, or ε of the box {@code [w0−ε, w0+ε]} applied after every step
 * @param objectiveOptimization {@code prompt_last} (FT-L) or {@code target_new} (FT-M)
 * @param rewriteModuleTmp trained parameters: every projection weight or bias whose HF name contains this, with the
 *     layer filled in ({@code transformer.h.{}.mlp.c_proj} matches weight and bias; {@code ...down_proj.weight} only
 *     the weight)
 * @param layerModuleTmp checked: the block module
 * @param mlpModuleTmp checked: the MLP module
 * @param attnModuleTmp checked: the attention module
 * @param lnFModule checked: the final norm
 * @param lmHeadModule checked: the unembedding
 * @param modelParallel recorded (default false)
 */
public record FtParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty(value = "device", required = true) int device,
        @JsonProperty(value = "layers", required = true) List<Integer> layers,
        @JsonProperty(value = "num_steps", required = true) int numSteps,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("max_length") Integer maxLength,
        @JsonProperty(value = "lr", required = true) double lr,
        @JsonProperty(value = "weight_decay", required = true) double weightDecay,
        @JsonProperty(value = "kl_factor", required = true) double klFactor,
        @JsonProperty(value = "norm_constraint", required = true) Object normConstraint,
        @JsonProperty("objective_optimization") String objectiveOptimization,
        @JsonProperty(value = "rewrite_module_tmp", required = true) String rewriteModuleTmp,
        @JsonProperty(value = "layer_module_tmp", required = true) String layerModuleTmp,
        @JsonProperty(value = "mlp_module_tmp", required = true) String mlpModuleTmp,
        @JsonProperty(value = "attn_module_tmp", required = true) String attnModuleTmp,
        @JsonProperty(value = "ln_f_module", required = true) String lnFModule,
        @JsonProperty(value = "lm_head_module", required = true) String lmHeadModule,
        @JsonProperty("model_parallel") Boolean modelParallel) implements EditParams {

    /** EasyEdit's alg_name of both methods. */
    public static final String FT = "FT";
    /** The method that scores every target token at the last prompt position. */
    public static final String FT_L = "FT-L";
    /** The method with the teacher-forced loss masked to the target tokens. */
    public static final String FT_M = "FT-M";
    /** FT-L's objective. */
    public static final String PROMPT_LAST = "prompt_last";
    /** FT-M's objective. */
    public static final String TARGET_NEW = "target_new";

    /** Validates values, fills EasyEdit's defaults and resolves the objective. */
    public FtParams {
        require(FT.equals(algName) || FT_L.equals(algName) || FT_M.equals(algName),
                "alg_name must be FT (EasyEdit), FT-L or FT-M, got '%s'", algName);
        if (objectiveOptimization == null) {
            require(!FT.equals(algName), "objective_optimization is required with alg_name: FT; "
                    + "prompt_last selects FT-L, target_new selects FT-M");
            objectiveOptimization = FT_L.equals(algName) ? PROMPT_LAST : TARGET_NEW;
        }
        require(PROMPT_LAST.equals(objectiveOptimization) || TARGET_NEW.equals(objectiveOptimization),
                "objective_optimization must be prompt_last (FT-L) or target_new (FT-M), got '%s'", objectiveOptimization);
        String implied = PROMPT_LAST.equals(objectiveOptimization) ? FT_L : FT_M;
        require(FT.equals(algName) || implied.equals(algName),
                "alg_name: %s contradicts objective_optimization: %s, which is %s; set objective_optimization: %s for %s",
                algName, objectiveOptimization, implied, FT_L.equals(algName) ? PROMPT_LAST : TARGET_NEW, algName);
        require(layers != null && !layers.isEmpty(), "layers must list at least one layer");
        require(new HashSet<>(layers).size() == layers.size(), "layers %s lists a layer twice", layers);
        require(numSteps >= 1, "num_steps must be at least 1, got %d", numSteps);
        batchSize = batchSize == null ? 64 : batchSize;
        require(batchSize >= 1, "batch_size must be at least 1, got %d", batchSize);
        maxLength = maxLength == null ? 40 : maxLength;
        require(lr > 0 && Double.isFinite(lr), "lr must be positive and finite, got %s", lr);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay must be >= 0, got %s", weightDecay);
        require(klFactor == 0, ("kl_factor is %s, but EasyEdit's FT has no KL term (ft_main.py reads no kl_factor) and "
                + "Emend does not invent one; set kl_factor: 0"), klFactor);
        normConstraint = normalise(normConstraint);
        require(rewriteModuleTmp != null && rewriteModuleTmp.contains("{}"),
                "rewrite_module_tmp '%s' needs a {} for the layer", rewriteModuleTmp);
        modelParallel = modelParallel != null && modelParallel;
        layers = List.copyOf(layers);
    }

    /** {@code false} → FALSE; a number (or a YAML string such as {@code 5e-4}) → a positive Double. */
    private static Object normalise(Object value) {
        if (value instanceof Boolean b) {
            require(!b, "norm_constraint: true names no bound; give ε (e.g. 5e-4) or false");
            return Boolean.FALSE;
        }
        double eps;
        if (value instanceof Number n) {
            eps = n.doubleValue();
        } else if (value instanceof String s) {
            try {
                eps = Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("norm_constraint must be false or a number, got '%s'".formatted(s));
            }
        } else {
            throw new IllegalArgumentException("norm_constraint must be false or a number, got " + value);
        }
        require(eps > 0 && Double.isFinite(eps), "norm_constraint must be positive, got %s", eps);
        return eps;
    }

    @Override
    public String method() {
        return PROMPT_LAST.equals(objectiveOptimization) ? FT_L : FT_M;
    }

    /** @return true for FT-L's last-position objective */
    public boolean promptLast() {
        return PROMPT_LAST.equals(objectiveOptimization);
    }

    /** @return ε of the box constraint, if any */
    public java.util.OptionalDouble epsilon() {
        return normConstraint instanceof Double d ? java.util.OptionalDouble.of(d) : java.util.OptionalDouble.empty();
    }

    @Override
    public void checkAgainst(Architecture architecture) {
        new ModuleTemplates(architecture)
                .layers("layers", layers)
                .layer("layer_module_tmp", layerModuleTmp, HookPoint.Site.RESID_POST, layers)
                .layer("mlp_module_tmp", mlpModuleTmp, HookPoint.Site.MLP_OUT, layers)
                .layer("attn_module_tmp", attnModuleTmp, HookPoint.Site.ATTN_OUT, layers)
                .module("ln_f_module", lnFModule, architecture.layout().finalNorm().weight())
                .module("lm_head_module", "lm_head".equals(lmHeadModule) && !"gpt_neox".equals(architecture.family())
                        ? null : lmHeadModule, architecture.layout().lmHead().weight().name())
                .check("%s params".formatted(method()));
        for (int layer : layers) {
            if (TrainableParameters.select(architecture, rewriteModuleTmp, layer).isEmpty()) {
                throw new dev.emend.ConfigException(("%s params: rewrite_module_tmp '%s' matches no projection weight or bias "
                        + "of layer %d in this %s model (e.g. %s)").formatted(method(), rewriteModuleTmp, layer,
                        architecture.family(), architecture.moduleName(HookPoint.Site.MLP_POST, layer)));
            }
        }
    }

    private static void require(boolean ok, String message, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(message.formatted(args));
        }
    }
}
