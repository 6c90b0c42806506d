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
    /** Validates; each message names the value given and the range it must be in. */
    public LrSchedule {
        if (!(peak > 0) || !Double.isFinite(peak)) {
            throw new IllegalArgumentException("peak learning rate must be a positive number, got " + peak);
        }
        if (!(floor >= 0) || floor > peak) {
            throw new IllegalArgumentException("final learning rate must be between 0 and the peak " + peak
                    + ", got " + floor);
        }
        if (total < 1) {
            throw new IllegalArgumentException("total steps must be ≥ 1, got " + total);
        }
        if (warmup < 0 || warmup > total) {
            throw new IllegalArgumentException("warm-up must be between 0 and the " + total + " total steps, got "
                    + warmup);
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
