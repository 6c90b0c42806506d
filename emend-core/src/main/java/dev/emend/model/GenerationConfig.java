package dev.emend.model;

import java.util.List;

/**
 * How to generate: greedy when {@code temperature == 0}, otherwise sampling with temperature, top-k and top-p
 * (applied in that order, as HF's logits processors), seeded for reproducibility.
 *
 * @param maxNewTokens tokens to generate at most (≥ 1)
 * @param temperature 0 for greedy, else > 0
 * @param topK keep the k most likely tokens; 0 keeps all
 * @param topP keep the smallest set of tokens whose probability reaches p; 1 keeps all
 * @param seed sampling seed
 * @param stopStrings generation of a row ends once its text contains one of these (the text is cut before it)
 * @param stopAtEos end a row at an EOS token
 */
public record GenerationConfig(int maxNewTokens, double temperature, int topK, double topP, long seed,
        List<String> stopStrings, boolean stopAtEos) {
    /** Validates ranges. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be at least 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be 0 (greedy) or positive, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be 0 (off) or positive, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        stopStrings = List.copyOf(stopStrings);
    }

    /**
     * Greedy decoding that stops at EOS.
     *
     * @param maxNewTokens tokens to generate at most
     * @return the config
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1, 0, List.of(), true);
    }

    /** @return true if decoding is greedy */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** @param stops stop strings @return a copy with these stop strings */
    public GenerationConfig withStopStrings(List<String> stops) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stops, stopAtEos);
    }

    /** @param stop whether EOS ends a row @return a copy */
    public GenerationConfig withStopAtEos(boolean stop) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stopStrings, stop);
    }
}
