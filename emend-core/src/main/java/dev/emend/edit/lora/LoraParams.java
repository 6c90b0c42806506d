package dev.emend.edit.lora;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.ConfigException;
import dev.emend.edit.EditParams;
import dev.emend.model.Architecture;
import java.util.HashSet;
import java.util.List;

/**
 * LoRA hyper-parameters with EasyEdit's YAML keys ({@code hparams/LoRA/*.yaml}, {@code LoRAHyperParams}; algorithms
 * §6).
 *
 * @param algName must be "LoRA"
 * @param modelName recorded only
 * @param device recorded only
 * @param loraType "lora" (plain LoRA); EasyEdit's other value, "adalora", is not implemented and refused
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
 * @param rank r of every adapter
 * @param loraAlpha α; the adapter adds {@code (α/r)·B·A}
 * @param loraDropout read and recorded, but Emend trains with dropout 0 (see {@link LoraEditor})
 * @param modelParallel recorded (default false)
 * @param seed Emend's addition (default 0): seeds the Kaiming-uniform initialisation of A
 */
public record LoraParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty(value = "device", required = true) int device,
        @JsonProperty(value = "lora_type", required = true) String loraType,
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
        @JsonProperty("seed") Long seed) implements EditParams {

    /** The method name and EasyEdit's alg_name. */
    public static final String LORA = "LoRA";

    /** Validates values and fills EasyEdit's defaults. */
    public LoraParams {
        require(LORA.equals(algName), "alg_name must be LoRA, got '%s'", algName);
        require(loraType != null, "lora_type is required: lora");
        require(!"adalora".equals(loraType), ("lora_type: adalora (AdaLoRA) is not implemented in Emend yet; use "
                + "lora_type: lora for plain LoRA"));
        require("lora".equals(loraType), "lora_type must be lora, got '%s'", loraType);
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
        return LORA;
    }

    /** @return PEFT's scaling α / r */
    public double scaling() {
        return loraAlpha / rank;
    }

    @Override
    public void checkAgainst(Architecture architecture) {
        int n = architecture.config().numLayers();
        for (int l : layers) {
            if (l < 0 || l >= n) {
                throw new ConfigException("LoRA params: layer %d is outside [0, %d) of this %s model"
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
