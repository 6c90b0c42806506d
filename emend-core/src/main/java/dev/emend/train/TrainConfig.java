package dev.emend.train;

/**
 * Training hyper-parameters.
 *
 * @param steps optimisation steps
 * @param batchSize blocks per step
 * @param tokensPerRow tokens per block (model input length)
 * @param peakLr peak learning rate
 * @param minLr final learning rate
 * @param warmup warm-up steps
 * @param weightDecay decoupled weight decay of matrices (biases, norms and embeddings are not decayed)
 * @param clipNorm global gradient-norm clip
 * @param beta2 Adam β2
 * @param seed data-order seed
 * @param evalEvery steps between evaluations (0: never)
 * @param checkpointEvery steps between checkpoints (0: never)
 */
public record TrainConfig(int steps, int batchSize, int tokensPerRow, double peakLr, double minLr, int warmup,
        double weightDecay, double clipNorm, double beta2, long seed, int evalEvery, int checkpointEvery) {
    /** Validates ranges. */
    public TrainConfig {
        if (steps < 1 || batchSize < 1 || tokensPerRow < 2) {
            throw new IllegalArgumentException("steps, batch size and tokens per row must be positive");
        }
        if (!(clipNorm > 0) || weightDecay < 0 || !(beta2 > 0 && beta2 < 1)) {
            throw new IllegalArgumentException("bad clip, weight decay or beta2");
        }
    }

    /** @return the learning-rate schedule */
    public LrSchedule schedule() {
        return new LrSchedule(peakLr, minLr, warmup, steps);
    }
}
