package dev.emend.model;

import ai.djl.ndarray.NDArray;
import dev.emend.tokenizer.TokenBatch;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One forward call: tokens, hooks, weight overrides, low-rank weight changes, which logits to compute, an optional KV
 * cache, and whether to keep or start from a {@link ResumeState}.
 *
 * <p>Weight overrides replace named parameters for this call only (fine-tuning leaves); low-rank changes add
 * {@code L·R} to a linear weight through its input, never forming the product (LoRA/AdaLoRA adapters). The stored
 * weights are untouched. Logits cost a [D,V] product per position, so callers that score a few positions
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
    private final Map<String, LowRank> lowRank;
    private final Logits logits;
    private final int[][] positions;
    private final KvCache cache;
    private final HookPoint saveResume;
    private final boolean saveLaterKeys;
    private final ResumeState resume;

    private ForwardRequest(Builder b) {
        this.batch = b.batch;
        this.hooks = b.hooks;
        this.overrides = Collections.unmodifiableMap(new LinkedHashMap<>(b.overrides));
        this.lowRank = Collections.unmodifiableMap(new LinkedHashMap<>(b.lowRank));
        this.logits = b.logits;
        this.positions = b.positions;
        this.cache = b.cache;
        this.saveResume = b.saveResume;
        this.saveLaterKeys = b.saveLaterKeys;
        this.resume = b.resume;
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

    /**
     * A low-rank change of a linear weight, in math orientation ([out, in], whatever the checkpoint stores): the layer
     * computes {@code x·Wᵀ + (x·rightᵀ)·leftᵀ}, equal to using {@code W + left·right} without forming the [out, in]
     * product (LoRA's forward).
     *
     * @param left [out, r]
     * @param right [r, in]
     */
    public record LowRank(NDArray left, NDArray right) {
        /** Requires both factors. */
        public LowRank {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }
    }

    /** @return low-rank weight changes by checkpoint name of the linear weight */
    public Map<String, LowRank> lowRank() {
        return lowRank;
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

    /** @return the point whose {@link ResumeState} the pass keeps, or null */
    public HookPoint saveResume() {
        return saveResume;
    }

    /** @return true if the kept state includes the keys and values of later layers (for {@link ResumeState#suffix}) */
    public boolean saveLaterKeys() {
        return saveLaterKeys;
    }

    /** @return the state the pass starts from, or null for a pass from the tokens */
    public ResumeState resume() {
        return resume;
    }

    /** Builds a {@link ForwardRequest}. */
    public static final class Builder {
        private final TokenBatch batch;
        private Hooks hooks = Hooks.none();
        private final Map<String, NDArray> overrides = new LinkedHashMap<>();
        private final Map<String, LowRank> lowRank = new LinkedHashMap<>();
        private Logits logits = Logits.ALL;
        private int[][] positions;
        private KvCache cache;
        private HookPoint saveResume;
        private boolean saveLaterKeys;
        private ResumeState resume;

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

        /**
         * Adds {@code left·right} (math orientation [out, in]) to the linear weight {@code name} for this call,
         * applied as {@code (x·rightᵀ)·leftᵀ} on the layer's input, so the [out, in] product is never formed.
         *
         * @param name checkpoint name of a linear layer's weight
         * @param change the factors
         * @return this builder
         */
        public Builder lowRank(String name, LowRank change) {
            lowRank.put(Objects.requireNonNull(name), Objects.requireNonNull(change));
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

        /**
         * Keeps what the pass computed up to {@code point} ({@link ForwardResult#resume()}), so that later passes
         * over the same tokens can start there. Combine with {@code Hooks.stopAfter(point)} when nothing after the
         * point is needed now.
         *
         * @param point where later passes resume; the kept activation is the one the point's hooks receive
         * @param laterKeys also keep the keys and values of every later layer's attention, which
         *     {@link ResumeState#suffix} needs (the pass must then run past those layers: do not stop it early)
         * @return this builder
         */
        public Builder saveResume(HookPoint point, boolean laterKeys) {
            this.saveResume = Objects.requireNonNull(point);
            this.saveLaterKeys = laterKeys;
            return this;
        }

        /**
         * Keeps what the pass computed up to {@code point}, without later keys.
         *
         * @param point where later passes resume
         * @return this builder
         */
        public Builder saveResume(HookPoint point) {
            return saveResume(point, false);
        }

        /**
         * Starts the pass at the state's point instead of at the tokens: nothing before the point is computed. The
         * builder's batch must be the state's ({@link ResumeState#batch()}); hooks must be at or after the point.
         *
         * @param state a state kept by an earlier pass (or cut from one with {@link ResumeState#suffix})
         * @return this builder
         */
        public Builder resume(ResumeState state) {
            this.resume = Objects.requireNonNull(state);
            return this;
        }

        /** @return the request */
        public ForwardRequest build() {
            if (resume != null) {
                TokenBatch s = resume.batch();
                if (s != batch && (s.batchSize() != batch.batchSize() || s.length() != batch.length()
                        || !Arrays.equals(s.ids(), batch.ids()) || !Arrays.equals(s.mask(), batch.mask()))) {
                    throw new IllegalArgumentException("a resumed pass must run on the tokens its state was kept for "
                            + "(ResumeState.batch()); build the request with ForwardRequest.builder(state.batch())");
                }
                if (cache != null) {
                    throw new IllegalArgumentException("a resumed pass cannot use a KV cache: the layers before the "
                            + "resume point would not extend it");
                }
                for (HookPoint p : hookedPoints(hooks)) {
                    if (p.compareTo(resume.point()) < 0) {
                        throw new IllegalArgumentException("hook at %s comes before the resume point %s and would never run"
                                .formatted(p, resume.point()));
                    }
                }
            }
            if (saveLaterKeys && cache != null) {
                throw new IllegalArgumentException("keeping later keys for a resume state cannot be combined with a KV cache");
            }
            return new ForwardRequest(this);
        }

        private static Set<HookPoint> hookedPoints(Hooks h) {
            Set<HookPoint> out = new LinkedHashSet<>(h.captures());
            out.addAll(h.editedPoints());
            if (h.stopAfter() != null) {
                out.add(h.stopAfter());
            }
            return out;
        }
    }
}
