package dev.emend.model;

import ai.djl.ndarray.NDArray;
import dev.emend.tokenizer.TokenBatch;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One forward call: tokens, hooks, weight overrides, which logits to compute, and an optional KV cache.
 *
 * <p>Weight overrides replace named parameters for this call only (fine-tuning leaves, LoRA-merged weights); the
 * stored weights are untouched. Logits cost a [D,V] product per position, so callers that score a few positions
 * ask only for those.
 */
public final class ForwardRequest {
    /** Which positions get logits. */
    public enum Logits {
        /** Every position: [B,T,V]. */
        ALL,
        /** The last real token of each row: [B,1,V]. */
        LAST,
        /** Positions listed per row: [B,P,V]. */
        AT,
        /** None: the result's logits are null. */
        NONE
    }

    private final TokenBatch batch;
    private final Hooks hooks;
    private final Map<String, NDArray> overrides;
    private final Logits logits;
    private final int[][] positions;
    private final KvCache cache;

    private ForwardRequest(Builder b) {
        this.batch = b.batch;
        this.hooks = b.hooks;
        this.overrides = Collections.unmodifiableMap(new LinkedHashMap<>(b.overrides));
        this.logits = b.logits;
        this.positions = b.positions;
        this.cache = b.cache;
    }

    /** @param batch tokens @return a builder */
    public static Builder builder(TokenBatch batch) {
        return new Builder(batch);
    }

    /** @return the tokens */
    public TokenBatch batch() {
        return batch;
    }

    /** @return the hooks */
    public Hooks hooks() {
        return hooks;
    }

    /** @return parameter overrides by checkpoint name */
    public Map<String, NDArray> overrides() {
        return overrides;
    }

    /** @return which logits to compute */
    public Logits logits() {
        return logits;
    }

    /** @return positions per row for {@link Logits#AT} */
    public int[][] positions() {
        return positions;
    }

    /** @return the cache, or null */
    public KvCache cache() {
        return cache;
    }

    /** Builds a {@link ForwardRequest}. */
    public static final class Builder {
        private final TokenBatch batch;
        private Hooks hooks = Hooks.none();
        private final Map<String, NDArray> overrides = new LinkedHashMap<>();
        private Logits logits = Logits.ALL;
        private int[][] positions;
        private KvCache cache;

        private Builder(TokenBatch batch) {
            this.batch = Objects.requireNonNull(batch, "batch");
        }

        /** @param hooks hooks for this call @return this builder */
        public Builder hooks(Hooks hooks) {
            this.hooks = Objects.requireNonNull(hooks);
            return this;
        }

        /**
         * Uses {@code value} instead of the stored parameter {@code name} for this call.
         *
         * @param name checkpoint name
         * @param value same shape as the stored parameter
         * @return this builder
         */
        public Builder override(String name, NDArray value) {
            overrides.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
            return this;
        }

        /** @return this builder, computing logits only at each row's last real token */
        public Builder lastLogits() {
            this.logits = Logits.LAST;
            return this;
        }

        /** @return this builder, computing no logits */
        public Builder noLogits() {
            this.logits = Logits.NONE;
            return this;
        }

        /**
         * Computes logits only at the given positions.
         *
         * @param positions positions[b] for row b; every row lists the same number of positions
         * @return this builder
         */
        public Builder logitsAt(int[][] positions) {
            if (positions.length != batch.batchSize()) {
                throw new IllegalArgumentException("positions has %d rows, batch has %d".formatted(positions.length,
                        batch.batchSize()));
            }
            for (int[] row : positions) {
                if (row.length != positions[0].length) {
                    throw new IllegalArgumentException("every row must list the same number of logit positions");
                }
                for (int p : row) {
                    if (p < 0 || p >= batch.length()) {
                        throw new IllegalArgumentException("logit position %d outside [0,%d)".formatted(p, batch.length()));
                    }
                }
            }
            this.logits = Logits.AT;
            this.positions = positions;
            return this;
        }

        /** @param cache a cache to read and extend @return this builder */
        public Builder cache(KvCache cache) {
            this.cache = cache;
            return this;
        }

        /** @return the request */
        public ForwardRequest build() {
            return new ForwardRequest(this);
        }
    }
}
