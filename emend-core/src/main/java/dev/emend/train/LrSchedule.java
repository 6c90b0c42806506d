package dev.emend.train;

/**
 * Linear warm-up to the peak rate, then cosine decay to the floor.
 *
 * @param peak peak learning rate
 * @param floor final learning rate
 * @param warmup warm-up steps
 * @param total total steps
 */
public record LrSchedule(double peak, double floor, int warmup, int total) {
    /** Validates. */
    public LrSchedule {
        if (!(peak > 0) || floor < 0 || floor > peak || warmup < 0 || total < 1) {
            throw new IllegalArgumentException("bad schedule: peak %g floor %g warmup %d total %d"
                    .formatted(peak, floor, warmup, total));
        }
    }

    /**
     * @param step 1-based step
     * @return the rate at that step
     */
    public double at(long step) {
        if (step <= warmup) {
            return peak * step / Math.max(1, warmup);
        }
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
    }
}
