package dev.emend.model;

import dev.emend.tensor.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Immutable hooks for one forward call (nethook's {@code TraceDict} without global registration): activations to
 * capture, interventions to apply, and where to stop. At each point the edits run first, in insertion order, then
 * the (edited) activation is captured, then the pass stops if asked to.
 */
public final class Hooks {
    private static final Hooks NONE = new Hooks(Map.of(), Set.of(), null);

    private final Map<HookPoint, List<Hook>> edits;
    private final Set<HookPoint> captures;
    private final HookPoint stopAfter;

    private Hooks(Map<HookPoint, List<Hook>> edits, Set<HookPoint> captures, HookPoint stopAfter) {
        this.edits = edits;
        this.captures = captures;
        this.stopAfter = stopAfter;
    }

    /** @return hooks that do nothing */
    public static Hooks none() {
        return NONE;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return true if nothing is captured, edited or stopped */
    public boolean isEmpty() {
        return edits.isEmpty() && captures.isEmpty() && stopAfter == null;
    }

    /** @return the points captured */
    public Set<HookPoint> captures() {
        return captures;
    }

    /** @return the points with interventions */
    public Set<HookPoint> editedPoints() {
        return edits.keySet();
    }

    /** @return the point after which the pass stops, or null */
    public HookPoint stopAfter() {
        return stopAfter;
    }

    /** @param point a hook point @return true if something happens at it */
    public boolean touches(HookPoint point) {
        return edits.containsKey(point) || captures.contains(point) || point.equals(stopAfter);
    }

    /**
     * Applies the edits registered at {@code point}.
     *
     * @param point where the pass is
     * @param activation the activation there
     * @return the activation after every edit (the same array if there is none)
     */
    public NDArray applyEdits(HookPoint point, NDArray activation) {
        NDArray x = activation;
        for (Hook h : edits.getOrDefault(point, List.of())) {
            NDArray y = h.apply(x, point);
            if (!y.getShape().equals(x.getShape())) {
                throw new IllegalStateException("hook at %s changed the shape from %s to %s; hooks must keep the shape"
                        .formatted(point, x.getShape(), y.getShape()));
            }
            x = y;
        }
        return x;
    }

    /** Builds {@link Hooks}. */
    public static final class Builder {
        private final Map<HookPoint, List<Hook>> edits = new LinkedHashMap<>();
        private final Set<HookPoint> captures = new LinkedHashSet<>();
        private HookPoint stopAfter;

        private Builder() {}

        /**
         * Captures activations; they are returned in {@link ForwardResult#cache()}.
         *
         * @param points points to capture
         * @return this builder
         */
        public Builder capture(HookPoint... points) {
            for (HookPoint p : points) {
                captures.add(Objects.requireNonNull(p));
            }
            return this;
        }

        /**
         * Adds an intervention.
         *
         * @param point where
         * @param hook what; applied after earlier hooks at the same point
         * @return this builder
         */
        public Builder edit(HookPoint point, Hook hook) {
            edits.computeIfAbsent(Objects.requireNonNull(point), p -> new ArrayList<>()).add(Objects.requireNonNull(hook));
            return this;
        }

        /**
         * Adds {@code delta} to the activation at the given positions (ROME's v* injection, algorithms §17.2). The
         * result is {@code x + M ⊙ delta} with a one-hot mask M, so gradients reach {@code delta}.
         *
         * @param point where
         * @param positions positions[b] lists the token indices of row b that receive the delta
         * @param delta [D] (broadcast to every position) or [B,D] (one vector per row)
         * @return this builder
         */
        public Builder addAt(HookPoint point, int[][] positions, NDArray delta) {
            return edit(point, (x, p) -> x.add(positionMask(x, positions).mul(rowVectors(x, delta))));
        }

        /**
         * Overwrites the activation at the given positions with {@code values} (restoration in causal tracing).
         *
         * @param point where
         * @param positions positions[b] lists the token indices of row b to overwrite
         * @param values [D], [B,D] or a full [B,T,D] source whose rows at those positions are copied
         * @return this builder
         */
        public Builder replaceAt(HookPoint point, int[][] positions, NDArray values) {
            return edit(point, (x, p) -> {
                NDArray m = positionMask(x, positions);
                NDArray v = values.getShape().dimension() == 3 ? values : rowVectors(x, values);
                return x.mul(m.neg().add(1f)).add(m.mul(v));
            });
        }

        /**
         * Stops the pass after {@code point} (nethook {@code stop=True}); logits are then null.
         *
         * @param point the last point computed
         * @return this builder
         */
        public Builder stopAfter(HookPoint point) {
            captures.add(Objects.requireNonNull(point));
            this.stopAfter = point;
            return this;
        }

        /** @return the immutable hooks */
        public Hooks build() {
            Map<HookPoint, List<Hook>> e = new LinkedHashMap<>();
            edits.forEach((k, v) -> e.put(k, List.copyOf(v)));
            return new Hooks(Collections.unmodifiableMap(e), Collections.unmodifiableSet(new LinkedHashSet<>(captures)),
                    stopAfter);
        }
    }

    /** A [B,T,1] mask of x's type with ones at the listed positions of each row. */
    static NDArray positionMask(NDArray x, int[][] positions) {
        Shape s = x.getShape();
        int b = (int) s.get(0);
        int t = (int) s.get(1);
        if (positions.length != b) {
            throw new IllegalArgumentException("positions has %d rows but the batch has %d".formatted(positions.length, b));
        }
        float[] mask = new float[b * t];
        for (int i = 0; i < b; i++) {
            for (int pos : positions[i]) {
                if (pos < 0 || pos >= t) {
                    throw new IllegalArgumentException("position %d of row %d is outside [0,%d)".formatted(pos, i, t));
                }
                mask[i * t + pos] = 1f;
            }
        }
        NDArray m = Tensors.create(x.getManager(), mask, new Shape(b, t, 1));
        return x.getDataType() == DataType.FLOAT32 ? m : m.toType(x.getDataType(), false);
    }

    private static NDArray rowVectors(NDArray x, NDArray v) {
        return v.getShape().dimension() == 2 ? v.expandDims(1) : v;
    }
}
