package dev.emend.edit.ice;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.edit.EditParams;
import dev.emend.model.Architecture;

/**
 * ICE params: the method has no hyper-parameter, so the file only names it. Unknown keys are refused, so the
 * fine-tuning "ICE" of Qi et al. ({@code bigai-ai/ICE} {@code hparams/ICE/*.yaml}, with {@code layers}, {@code lr},
 * ...) is not mistaken for this one.
 *
 * @param algName must be "ICE"
 * @param modelName recorded only
 * @param device recorded only (default 0)
 */
public record IceParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty("device") Integer device) implements EditParams {

    /** The method name. */
    public static final String ICE = "ICE";

    /** Validates the name. */
    public IceParams {
        if (!ICE.equals(algName)) {
            throw new IllegalArgumentException("alg_name must be ICE, got '%s'".formatted(algName));
        }
        device = device == null ? 0 : device;
    }

    /** @return params for any model (model_name "-") */
    public static IceParams of() {
        return new IceParams(ICE, "-", null);
    }

    @Override
    public void checkAgainst(Architecture architecture) {
        // no layer or module: ICE changes no weight
    }
}
