package dev.emend.model;

import dev.emend.ConfigException;

/**
 * Rotary position embedding parameters.
 *
 * @param dim rotated dimensions per head (the first {@code dim} of {@code head_dim})
 * @param theta frequency base ({@code rope_theta})
 * @param interleaved true for GPT-J's rotate-every-two pairs (0,1),(2,3)...; false for rotate-half pairs (i, i+dim/2)
 * @param scaling rope scaling as configured
 */
public record Rotary(int dim, double theta, boolean interleaved, Scaling scaling) {
    /**
     * HF rope scaling ({@code rope_scaling} / {@code rope_parameters}).
     *
     * @param type default, linear, dynamic, yarn or llama3
     * @param factor scaling factor (1 for default)
     * @param lowFreqFactor llama3
     * @param highFreqFactor llama3
     * @param originalMaxPositions llama3 and yarn (0 if absent)
     * @param attentionFactor yarn (NaN = derived)
     * @param betaFast yarn
     * @param betaSlow yarn
     * @param mscale yarn (NaN if absent)
     * @param mscaleAllDim yarn (NaN if absent)
     * @param truncate yarn
     */
    public record Scaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions, double attentionFactor, double betaFast, double betaSlow, double mscale,
            double mscaleAllDim, boolean truncate) {
        /** Validates the type. */
        public Scaling {
            switch (type) {
                case "default", "linear", "dynamic", "yarn", "llama3" -> { }
                default -> throw new ConfigException(
                        "rope scaling type '%s' is not supported; supported: default, linear, dynamic, yarn, llama3"
                                .formatted(type));
            }
        }

        /** @return no scaling */
        public static Scaling none() {
            return new Scaling("default", 1, 1, 4, 0, Double.NaN, 32, 1, Double.NaN, Double.NaN, true);
        }
    }
}
