package dev.emend.edit.ike;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.emend.edit.EditParams;
import dev.emend.model.Architecture;

/**
 * IKE hyper-parameters with EasyEdit's YAML keys ({@code hparams/IKE/*.yaml}, {@code IKEHyperParams}; algorithms
 * §11.1). Unknown keys are refused, like every params file.
 *
 * @param algName must be "IKE"
 * @param modelName recorded only
 * @param device recorded only (EasyEdit's torch device index)
 * @param sentenceModelName recorded only (default {@code ./hugging_cache/all-MiniLM-L6-v2}); the embedder itself comes
 *     from the {@link dev.emend.edit.EditContext}, so no path is opened here
 * @param resultsDir recorded only (EasyEdit keeps its pickled embeddings there; Emend embeds the training set once
 *     per editor, in memory)
 * @param k the number of demonstrations retrieved (default 16, EasyEdit's dataclass default; its
 *     {@code hparams/IKE/llama-7b.yaml} says 32)
 * @param useIclExamples false: no demonstrations, only the "New Fact" line (EasyEdit's "ICE" column of KnowEdit);
 *     default true
 * @param modelParallel recorded (default false)
 */
public record IkeParams(
        @JsonProperty(value = "alg_name", required = true) String algName,
        @JsonProperty(value = "model_name", required = true) String modelName,
        @JsonProperty("device") Integer device,
        @JsonProperty("sentence_model_name") String sentenceModelName,
        @JsonProperty("results_dir") String resultsDir,
        @JsonProperty("k") Integer k,
        @JsonProperty("use_icl_examples") Boolean useIclExamples,
        @JsonProperty("model_parallel") Boolean modelParallel) implements EditParams {

    /** The method name and EasyEdit's alg_name. */
    public static final String IKE = "IKE";

    /** Validates values and fills EasyEdit's defaults. */
    public IkeParams {
        if (!IKE.equals(algName)) {
            throw new IllegalArgumentException("alg_name must be IKE, got '%s'".formatted(algName));
        }
        device = device == null ? 0 : device;
        sentenceModelName = sentenceModelName == null ? "./hugging_cache/all-MiniLM-L6-v2" : sentenceModelName;
        resultsDir = resultsDir == null ? "./results" : resultsDir;
        k = k == null ? 16 : k;
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got %d; for no demonstrations set use_icl_examples: false"
                    .formatted(k));
        }
        useIclExamples = useIclExamples == null || useIclExamples;
        modelParallel = modelParallel != null && modelParallel;
    }

    /**
     * @param k the number of demonstrations
     * @param useIclExamples whether to retrieve any
     * @return params for any model (model_name "-")
     */
    public static IkeParams of(int k, boolean useIclExamples) {
        return new IkeParams(IKE, "-", null, null, null, k, useIclExamples, null);
    }

    @Override
    public void checkAgainst(Architecture architecture) {
        // no layer or module: IKE changes no weight
    }
}
