package dev.emend.eval;

import dev.emend.data.DataFormat;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything that decides a benchmark run's results, plus where it writes them ({@code emend bench}'s options).
 *
 * @param model the model folder or GGUF file
 * @param dtype the compute dtype it is loaded in ("fp32", "fp16")
 * @param method the editing method, e.g. "ROME"
 * @param paramsName where the params come from, for display (a file, or "bundled ROME/fact-world")
 * @param paramsText the params YAML itself (its hash is part of the run's identity)
 * @param data the data file
 * @param format its format, or null to recognise it from the content
 * @param limit the first {@code limit} requests only; 0 for all
 * @param mode how edits are applied and evaluated
 * @param batchSize cases per batch in {@link EditBenchmark.Mode#BATCH}
 * @param seed the editor's context-template seed, the fluency sampling seed and ConvSent's draws
 * @param options what to evaluate (its seed is {@code seed})
 * @param statsCorpus the local text for layer statistics, or null for the model's default (fact-world's world)
 * @param trainData the training requests IKE draws its demonstrations from ({@code --train}), or null
 * @param out the results folder
 * @param cacheDir the cache folder for pre-edit scores and file hashes
 */
public record BenchConfig(Path model, String dtype, String method, String paramsName, String paramsText, Path data,
        DataFormat format, int limit, EditBenchmark.Mode mode, int batchSize, long seed, EvalOptions options,
        Path statsCorpus, Path trainData, Path out, Path cacheDir) {
    /** Requires the paths, method and params, and a valid limit and batch size; sets the options' seed. */
    public BenchConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(paramsText, "paramsText");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(cacheDir, "cacheDir");
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be ≥ 0 (0 = all), got " + limit);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be ≥ 1, got " + batchSize);
        }
        options = (options == null ? EvalOptions.defaults() : options).withSeed(seed);
        if (paramsName == null) {
            paramsName = method;
        }
    }
}
