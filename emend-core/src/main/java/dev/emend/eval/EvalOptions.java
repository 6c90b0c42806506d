package dev.emend.eval;

/**
 * What to evaluate besides the teacher-forced metrics, which always run.
 *
 * @param fluency EasyEdit's {@code test_generation}: sample a continuation of the edit prompt (top-k, the prompt
 *     counting toward {@code fluencyMaxLength}) and score its n-gram entropy
 * @param generation the generation-based protocol: greedy answers to every probe, exact match and token F1
 * @param answerMargin for the generation protocol: max new tokens = the reference's token count + this margin
 * @param fluencyMaxLength total tokens of the fluency text, prompt included (EasyEdit's {@code max_out_len} = 100);
 *     capped at the model's context length
 * @param fluencyTopK top-k of the fluency sampling (EasyEdit's {@code generate_fast}: 5)
 * @param seed seed of the fluency sampling; case i draws with {@code seed + i}, the same before and after its edit
 * @param klTopK for ConvSent's {@code dd}: pre-edit tokens kept per position, the rest merged into one outcome
 *     ({@link dev.emend.eval.metrics.SentimentMetric.Sketch}); the KL is exact when this covers the vocabulary
 */
public record EvalOptions(boolean fluency, boolean generation, int answerMargin, int fluencyMaxLength, int fluencyTopK,
        long seed, int klTopK) {
    /** The default {@link #klTopK}. */
    public static final int DEFAULT_KL_TOP_K = 64;

    /** Validates ranges. */
    public EvalOptions {
        if (answerMargin < 0) {
            throw new IllegalArgumentException("answer margin must be ≥ 0, got " + answerMargin);
        }
        if (fluencyMaxLength < 2) {
            throw new IllegalArgumentException("fluency max length must be ≥ 2 tokens, got " + fluencyMaxLength);
        }
        if (fluencyTopK < 1) {
            throw new IllegalArgumentException("fluency top-k must be ≥ 1, got " + fluencyTopK);
        }
        if (klTopK < 1) {
            throw new IllegalArgumentException("KL top-k must be ≥ 1, got " + klTopK);
        }
    }

    /** @return teacher-forced metrics only; EasyEdit's fluency settings (100 tokens, top-5, seed 42) and margin 3 */
    public static EvalOptions defaults() {
        return new EvalOptions(false, false, 3, 100, 5, 42, DEFAULT_KL_TOP_K);
    }

    /** @param on whether to score fluency @return a copy */
    public EvalOptions withFluency(boolean on) {
        return new EvalOptions(on, generation, answerMargin, fluencyMaxLength, fluencyTopK, seed, klTopK);
    }

    /** @param on whether to run the generation protocol @return a copy */
    public EvalOptions withGeneration(boolean on) {
        return new EvalOptions(fluency, on, answerMargin, fluencyMaxLength, fluencyTopK, seed, klTopK);
    }

    /** @param margin extra answer tokens @return a copy */
    public EvalOptions withAnswerMargin(int margin) {
        return new EvalOptions(fluency, generation, margin, fluencyMaxLength, fluencyTopK, seed, klTopK);
    }

    /** @param s fluency sampling seed @return a copy */
    public EvalOptions withSeed(long s) {
        return new EvalOptions(fluency, generation, answerMargin, fluencyMaxLength, fluencyTopK, s, klTopK);
    }

    /** @param k pre-edit tokens kept per position for ConvSent's {@code dd} @return a copy */
    public EvalOptions withKlTopK(int k) {
        return new EvalOptions(fluency, generation, answerMargin, fluencyMaxLength, fluencyTopK, seed, k);
    }
}
