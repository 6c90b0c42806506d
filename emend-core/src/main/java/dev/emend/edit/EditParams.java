package dev.emend.edit;

import dev.emend.ConfigException;
import dev.emend.model.Architecture;

/**
 * The parameters of one method, read from EasyEdit's hparams YAML with its keys unchanged
 * ({@link dev.emend.config.ParamsLoader}). Implementations are records that validate ranges in their compact
 * constructor.
 */
public interface EditParams {
    /** @return EasyEdit's {@code alg_name}, e.g. "ROME" */
    String algName();

    /**
     * The method these params are for. Usually {@link #algName()}; EasyEdit's {@code alg_name: FT} covers FT-L and
     * FT-M, told apart by another key.
     *
     * @return the method name as {@link Editors} registers it
     */
    default String method() {
        return algName();
    }

    /** @return EasyEdit's {@code model_name} (recorded, never used to load anything) */
    String modelName();

    /**
     * Checks the params against a model: layers in range, and every {@code *_module_tmp} key naming the module the
     * architecture puts there. The templates are only checked, never used to find modules.
     *
     * @param architecture the model's architecture
     * @throws ConfigException listing every disagreement
     */
    void checkAgainst(Architecture architecture);
}
