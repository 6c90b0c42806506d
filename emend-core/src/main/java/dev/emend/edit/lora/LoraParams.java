package dev.emend.edit.lora;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.ConfigException;
import dev.emend.edit.EditParams;
import dev.emend.model.Architecture;
import java.util.HashSet;
import java.util.List;

/**
 * LoRA and AdaLoRA hyper-parameters with EasyEdit's YAML keys ({@code hparams/LoRA/*.yaml}, {@code LoRAHyperParams};
 * algorithms §6). EasyEdit names both methods {@code alg_name: LoRA} and tells them apart by {@code lora_type}:
 * {@code lora} is LoRA, {@code adalora} AdaLoRA (the name EasyEdit's results tables use). Emend also accepts
 * {@code alg_name: AdaLoRA}, where {@code lora_type} may be left out and otherwise must say {@code adalora}.
 *
 * <p>AdaLoRA quirk kept from EasyEdit: it passes {@code rank} as PEFT's {@code r}, which {@code AdaLoraConfig} ignores
 * ("Note that `r` is not used in AdaLora and will be ignored"); the adapters get PEFT's {@code init_r} (12) instead.
 * Here {@code rank} is read, validated and likewise unused under AdaLoRA, and {@code init_r} is an optional key with
 * PEFT's default. PEFT's rank-pruning keys ({@code target_r}, {@code tinit}, {@code tfinal}, {@code deltaT},
 * {@code beta1}, {@code beta2}, {@code total_step}) are refused as unknown: EasyEdit never calls
 * {@code update_and_allocate}, so its AdaLoRA never prunes, and neither does Emend's.
 *
 * @param algName "LoRA" (EasyEdit) or "AdaLoRA"
 * @param modelName recorded only
 * @param device recorded only
 * @param loraType "lora" (plain LoRA) or "adalora" (AdaLoRA); required with alg_name LoRA
 * @param layers layers whose target modules get adapters (PEFT's {@code layers_to_transform}); empty = every layer
 * @param numSteps epochs over the requests (every batch takes an Adam step; no threshold, no early stop)
 * @param batchSize requests per optimiser step (EasyEdit default 128)
 * @param maxLength recorded (EasyEdit default 30; Emend never truncates)
 * @param lr Adam learning rate
 * @param weightDecay torch Adam's coupled L2 on the adapter factors
 * @param klFactor must be 0 (EasyEdit's LoRA reads the key but has no KL term)
 * @param normConstraint must be false (EasyEdit's LoRA reads the key but never applies it)
 * @param targetModules HF module names (PEFT matching: a module is adapted when its path equals a name or ends with
 *     {@code "." + name}), e.g. {@code q_proj}, {@code v_proj}, GPT-2's {@code c_attn}, {@code c_proj}
 * @param rank r of every LoRA adapter (read but unused by AdaLoRA, as in PEFT)
 * @param loraAlpha α; a LoRA adapter adds {@code (α/r)·B·A}, an AdaLoRA one {@code (α/(init_r + 1e-5))·P·(Λ ⊙ Q)}
 * @param loraDropout read and recorded, but Emend trains with dropout 0 (see {@link LoraEditor})
 * @param modelParallel recorded (default false)
 * @param seed Emend's addition (default 0): seeds the initialisation (LoRA's Kaiming-uniform A; AdaLoRA's normal P
 *     and Q)
 * @param initR AdaLoRA only: the rank of every adapter (PEFT's {@code init_r}, default 12; EasyEdit never sets it)
 * @param orthRegWeight AdaLoRA only: weight of the orthogonality penalty (PEFT's {@code orth_reg_weight}, default
 *     0.5; EasyEdit never sets it)
 */
public record LoraParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty(value = "device", required = true) int device,
        @JsonProperty("lora_type") String loraType,
        @JsonProperty(value = "layers", required = true) List<Integer> layers,
        @JsonProperty(value = "num_steps", required = true) int numSteps,
        @JsonProperty("batch_size") Integer batchSize,
        @JsonProperty("max_length") Integer maxLength,
        @JsonProperty(value = "lr", required = true) double lr,
        @JsonProperty(value = "weight_decay", required = true) double weightDecay,
        @JsonProperty(value = "kl_factor", required = true) double klFactor,
        @JsonProperty(value = "norm_constraint", required = true) Object normConstraint,
        @JsonProperty(value = "target_modules", required = true) List<String> targetModules,
        @JsonProperty(value = "rank", required = true) int rank,
        @JsonProperty(value = "lora_alpha", required = true) double loraAlpha,
        @JsonProperty(value = "lora_dropout", required = true) double loraDropout,
        @JsonProperty("model_parallel") Boolean modelParallel,
        @JsonProperty("seed") Long seed,
        @JsonProperty("init_r") Integer initR,
        @JsonProperty("orth_reg_weight") Double orthRegWeight) implements EditParams {

    /** The method name of plain LoRA and EasyEdit's alg_name of both methods. */
    public static final String LORA = "LoRA";
    /** The method name of AdaLoRA. */
    public static final String ADALORA = "AdaLoRA";
    /** {@code lora_type} of plain LoRA. */
    public static final String TYPE_LORA = "lora";
    /** {@code lora_type} of AdaLoRA. */
    public static final String TYPE_ADALORA = "adalora";
    /** PEFT's {@code AdaLoraConfig.init_r} default. */
    public static final int DEFAULT_INIT_R = 12;
    /** PEFT's {@code AdaLoraConfig.orth_reg_weight} default. */
    public static final double DEFAULT_ORTH_REG_WEIGHT = 0.5;
    /** PEFT's AdaLoRA divides α by {@code ranknum + 1e-5}. */
    static final double RANKNUM_EPS = 1e-5;

    /** Validates values and fills EasyEdit's defaults. */
    public LoraParams {
        require(LORA.equals(algName) || ADALORA.equals(algName), "alg_name must be LoRA (EasyEdit) or AdaLoRA, got '%s'",
                algName);
        if (ADALORA.equals(algName)) {
            loraType = loraType == null ? TYPE_ADALORA : loraType;
            require(TYPE_ADALORA.equals(loraType), "alg_name AdaLoRA needs lora_type: adalora (or none), got '%s'", loraType);
        }
        require(loraType != null, "lora_type is required with alg_name LoRA: lora (LoRA) or adalora (AdaLoRA)");
        require(TYPE_LORA.equals(loraType) || TYPE_ADALORA.equals(loraType), "lora_type must be lora or adalora, got '%s'",
                loraType);
        boolean ada = TYPE_ADALORA.equals(loraType);
        require(ada || (initR == null && orthRegWeight == null), ("init_r and orth_reg_weight are AdaLoRA keys; "
                + "lora_type: lora does not use them (remove them, or set lora_type: adalora)"));
        initR = initR == null ? DEFAULT_INIT_R : initR;
        require(initR >= 1, "init_r must be at least 1, got %d", initR);
        orthRegWeight = orthRegWeight == null ? DEFAULT_ORTH_REG_WEIGHT : orthRegWeight;
        require(orthRegWeight >= 0 && Double.isFinite(orthRegWeight), "orth_reg_weight must be >= 0, got %s",
                orthRegWeight);
        require(layers != null, "layers must be a list (empty: every layer)");
        require(new HashSet<>(layers).size() == layers.size(), "layers %s lists a layer twice", layers);
        require(numSteps >= 1, "num_steps must be at least 1, got %d", numSteps);
        batchSize = batchSize == null ? 128 : batchSize;
        require(batchSize >= 1, "batch_size must be at least 1, got %d", batchSize);
        maxLength = maxLength == null ? 30 : maxLength;
        require(lr > 0 && Double.isFinite(lr), "lr must be positive and finite, got %s", lr);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay must be >= 0, got %s", weightDecay);
        require(klFactor == 0, ("kl_factor is %s, but EasyEdit's LoRA has no KL term (lora_main.py never reads it) and "
                + "Emend does not invent one; set kl_factor: 0"), klFactor);
        require(Boolean.FALSE.equals(normConstraint), ("norm_constraint is %s, but EasyEdit's LoRA never applies it "
                + "(lora_main.py does not read it); set norm_constraint: false"), normConstraint);
        require(targetModules != null && !targetModules.isEmpty(), "target_modules must name at least one module");
        require(targetModules.stream().noneMatch(t -> t == null || t.isBlank()), "target_modules has an empty name");
        require(rank >= 1, "rank must be at least 1, got %d", rank);
        require(loraAlpha > 0 && Double.isFinite(loraAlpha), "lora_alpha must be positive, got %s", loraAlpha);
        require(loraDropout >= 0 && loraDropout < 1, "lora_dropout must be in [0, 1), got %s", loraDropout);
        modelParallel = modelParallel != null && modelParallel;
        seed = seed == null ? 0L : seed;
        layers = List.copyOf(layers);
        targetModules = List.copyOf(targetModules);
    }

    @Override
    public String method() {
        return adaLora() ? ADALORA : LORA;
    }

    /** @return true for {@code lora_type: adalora} */
    public boolean adaLora() {
        return TYPE_ADALORA.equals(loraType);
    }

    /** @return the rank the adapters get: {@code rank} for LoRA, {@code init_r} for AdaLoRA (PEFT ignores r there) */
    public int adapterRank() {
        return adaLora() ? initR : rank;
    }

    /**
     * @return PEFT's factor on the adapter product: α / r for LoRA, α / (init_r + 1e-5) for AdaLoRA (its
     *     {@code scaling / (ranknum + 1e-5)} with the rank never pruned)
     */
    public double scaling() {
        return adaLora() ? loraAlpha / (initR + RANKNUM_EPS) : loraAlpha / rank;
    }

    @Override
    public void checkAgainst(Architecture architecture) {
        int n = architecture.config().numLayers();
        for (int l : layers) {
            if (l < 0 || l >= n) {
                throw new ConfigException(method() + " params: layer %d is outside [0, %d) of this %s model"
                        .formatted(l, n, architecture.family()));
            }
        }
        LoraTargets.select(architecture, this);
    }

    private static void require(boolean ok, String message, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(message.formatted(args));
        }
    }
}
