package dev.emend.model;

import dev.emend.UnsupportedArchitectureException;
import dev.emend.model.gpt2.Gpt2Family;
import dev.emend.model.gptj.GptJFamily;
import dev.emend.model.llama.LlamaFamily;
import dev.emend.model.neox.NeoXFamily;
import java.util.List;
import java.util.TreeSet;

/** The registry of model families, by {@code model_type}: explicit, typed, no reflection. */
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES =
            List.of(new Gpt2Family(), new LlamaFamily(), new GptJFamily(), new NeoXFamily());

    private ModelFamilies() {}

    /** @return every registered family */
    public static List<ModelFamily> all() {
        return FAMILIES;
    }

    /**
     * Finds the family of a model type.
     *
     * @param modelType config.json's {@code model_type}
     * @return the family
     * @throws UnsupportedArchitectureException if none handles it
     */
    public static ModelFamily forModelType(String modelType) {
        for (ModelFamily f : FAMILIES) {
            if (f.modelTypes().contains(modelType)) {
                return f;
            }
        }
        TreeSet<String> known = new TreeSet<>();
        FAMILIES.forEach(f -> known.addAll(f.modelTypes()));
        throw new UnsupportedArchitectureException(
                "model_type '%s' is not supported; supported: %s. Convert the checkpoint to one of these families or open an issue."
                        .formatted(modelType, known));
    }
}
