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
    /** Validates ranges; each message names the setting, the value given and what to do. */
    public TrainConfig {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be ≥ 1, got " + steps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1 block per step, got " + batchSize);
        }
        if (tokensPerRow < 2) {
            throw new IllegalArgumentException("tokens per row must be ≥ 2 (a block needs inputs and next-token "
                    + "targets), got " + tokensPerRow);
        }
        if (!(peakLr > 0) || !Double.isFinite(peakLr)) {
            throw new IllegalArgumentException("peak learning rate must be a positive number, got " + peakLr
                    + " (1e-3 is a usual start)");
        }
        if (!(minLr >= 0) || minLr > peakLr) {
            throw new IllegalArgumentException("minimum learning rate must be between 0 and the peak learning rate "
                    + peakLr + ", got " + minLr + " (e.g. a tenth of the peak)");
        }
        if (warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("warm-up must be between 0 and the " + steps + " training steps, got "
                    + warmup + "; shorten the warm-up or train for more steps");
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be ≥ 0, got " + weightDecay
                    + " (0 disables it; 0.01-0.1 are usual)");
        }
        if (!(clipNorm > 0) || Double.isNaN(clipNorm)) {
            throw new IllegalArgumentException("gradient clip norm must be > 0, got " + clipNorm
                    + " (1.0 is usual; a huge value disables clipping)");
        }
        if (!(beta2 > 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam beta2 must be strictly between 0 and 1, got " + beta2
                    + " (0.95-0.999 are usual)");
        }
        if (evalEvery < 0) {
            throw new IllegalArgumentException("evaluation interval must be ≥ 0 steps (0: never), got " + evalEvery);
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpoint interval must be ≥ 0 steps (0: never), got "
                    + checkpointEvery);
        }
    }

    /** @return the learning-rate schedule */
    public LrSchedule schedule() {
        return new LrSchedule(peakLr, minLr, warmup, steps);
    }
}
