package dev.emend.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.emend.EditException;
import dev.emend.model.LanguageModel;
import dev.emend.model.Orientation;
import dev.emend.model.WeightRef;
import dev.emend.model.WeightStore;
import dev.emend.tensor.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Weight edits (ROME, MEMIT, AlphaEdit, FT): per parameter an update {@code Δ} in maths orientation [out, in], kept
 * factorised where the method produces factors. Applying replaces each parameter with a new array
 * {@code W + Δ} (in the stored orientation, summed in float32) and keeps the previous array; reverting puts the
 * previous array back, so the model is restored bit for bit (never {@code W − Δ}).
 *
 * <p>Patches on the same parameter must be reverted in reverse order; {@link #revert()} refuses otherwise. A
 * {@link #sequence sequence} of patches applies and reverts its parts in order.
 */
public final class WeightDelta implements ModelPatch {
    /** The change of one parameter, in maths orientation [out, in]. */
    public sealed interface Update permits LowRank, Dense {
        /** @return the parameter and its orientation */
        WeightRef weight();

        /**
         * @param manager owner of the result
         * @return Δ as a float32 [out, in] array
         */
        NDArray toMath(NDManager manager);

        /** @return the Frobenius norm ‖Δ‖ */
        double norm();

        /**
         * @param other another update of the same parameter
         * @return the update equal to applying both
         */
        Update plus(Update other);
    }

    /**
     * {@code Δ = L R} with {@code L} [out, r] and {@code R} [r, in], row-major.
     *
     * @param weight the parameter
     * @param rank r
     * @param left L, out·r values
     * @param right R, r·in values
     */
    public record LowRank(WeightRef weight, int rank, float[] left, float[] right) implements Update {
        /** Checks sizes. */
        public LowRank {
            Objects.requireNonNull(weight, "weight");
            if (rank < 1 || left.length != weight.outFeatures() * rank || right.length != weight.inFeatures() * rank) {
                throw new IllegalArgumentException("factors of %s must be [%d,%d] and [%d,%d], got %d and %d values"
                        .formatted(weight.name(), weight.outFeatures(), rank, rank, weight.inFeatures(), left.length,
                                right.length));
            }
        }

        /**
         * A rank-one update {@code Δ = a bᵀ}.
         *
         * @param weight the parameter
         * @param a [out]
         * @param b [in]
         * @return the update
         */
        public static LowRank outer(WeightRef weight, float[] a, float[] b) {
            return new LowRank(weight, 1, a.clone(), b.clone());
        }

        @Override
        public NDArray toMath(NDManager manager) {
            NDArray l = Tensors.create(manager, left, new Shape(weight.outFeatures(), rank));     // [out,r]
            NDArray r = Tensors.create(manager, right, new Shape(rank, weight.inFeatures()));     // [r,in]
            return l.matMul(r);                                                                   // [out,in]
        }

        @Override
        public double norm() {
            // ‖LR‖²_F = trace((LᵀL)(RRᵀ))
            int out = (int) weight.outFeatures();
            int in = (int) weight.inFeatures();
            double[][] ll = new double[rank][rank];
            double[][] rr = new double[rank][rank];
            for (int i = 0; i < rank; i++) {
                for (int j = 0; j < rank; j++) {
                    double a = 0;
                    for (int o = 0; o < out; o++) {
                        a += (double) left[o * rank + i] * left[o * rank + j];
                    }
                    double b = 0;
                    for (int c = 0; c < in; c++) {
                        b += (double) right[i * in + c] * right[j * in + c];
                    }
                    ll[i][j] = a;
                    rr[i][j] = b;
                }
            }
            double t = 0;
            for (int i = 0; i < rank; i++) {
                for (int j = 0; j < rank; j++) {
                    t += ll[i][j] * rr[j][i];
                }
            }
            return Math.sqrt(Math.max(t, 0));
        }

        @Override
        public Update plus(Update other) {
            if (other instanceof LowRank o) {
                int out = (int) weight.outFeatures();
                int rk = rank + o.rank;
                float[] l = new float[out * rk];
                for (int i = 0; i < out; i++) {
                    System.arraycopy(left, i * rank, l, i * rk, rank);
                    System.arraycopy(o.left, i * o.rank, l, i * rk + rank, o.rank);
                }
                float[] r = new float[right.length + o.right.length];
                System.arraycopy(right, 0, r, 0, right.length);
                System.arraycopy(o.right, 0, r, right.length, o.right.length);
                return new LowRank(weight, rk, l, r);
            }
            return Dense.of(this).plus(other);
        }
    }

    /**
     * A dense {@code Δ} [out, in], row-major.
     *
     * @param weight the parameter
     * @param values out·in values
     */
    public record Dense(WeightRef weight, float[] values) implements Update {
        /** Checks the size. */
        public Dense {
            if (values.length != weight.outFeatures() * weight.inFeatures()) {
                throw new IllegalArgumentException("Δ of %s must have %d x %d values, got %d".formatted(weight.name(),
                        weight.outFeatures(), weight.inFeatures(), values.length));
            }
        }

        static Dense of(Update u) {
            if (u instanceof Dense d) {
                return d;
            }
            LowRank lr = (LowRank) u;
            int out = (int) lr.weight.outFeatures();
            int in = (int) lr.weight.inFeatures();
            float[] v = new float[out * in];
            for (int o = 0; o < out; o++) {
                for (int c = 0; c < in; c++) {
                    double s = 0;
                    for (int k = 0; k < lr.rank; k++) {
                        s += (double) lr.left[o * lr.rank + k] * lr.right[k * in + c];
                    }
                    v[o * in + c] = (float) s;
                }
            }
            return new Dense(lr.weight, v);
        }

        @Override
        public NDArray toMath(NDManager manager) {
            return Tensors.create(manager, values, new Shape(weight.outFeatures(), weight.inFeatures()));
        }

        @Override
        public double norm() {
            double s = 0;
            for (float v : values) {
                s += (double) v * v;
            }
            return Math.sqrt(s);
        }

        @Override
        public Update plus(Update other) {
            Dense o = of(other);
            float[] v = values.clone();
            for (int i = 0; i < v.length; i++) {
                v[i] += o.values[i];
            }
            return new Dense(weight, v);
        }
    }

    private final WeightStore store;
    private final NDManager manager;
    private final Map<String, Update> updates;
    private final List<WeightDelta> parts;
    private final Map<String, NDArray> saved = new LinkedHashMap<>();
    private final Map<String, NDArray> installed = new LinkedHashMap<>();
    private boolean applied;

    private WeightDelta(WeightStore store, NDManager manager, Map<String, Update> updates, List<WeightDelta> parts) {
        this.store = store;
        this.manager = manager;
        this.updates = updates;
        this.parts = parts;
    }

    /**
     * Starts a patch of {@code model}'s weights.
     *
     * @param model the model whose parameters the updates name
     * @return a builder
     */
    public static Builder builder(LanguageModel model) {
        return new Builder(model.weights(), model.manager());
    }

    /**
     * Composes applied patches into one whose {@link #revert()} reverts them all (last first) and whose
     * {@link #update} of a parameter is the sum of the parts' updates.
     *
     * @param parts patches in the order they were applied
     * @return the composite
     */
    public static WeightDelta sequence(List<WeightDelta> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a sequence needs at least one patch");
        }
        Map<String, Update> sum = new LinkedHashMap<>();
        for (WeightDelta p : parts) {
            for (String name : p.parameters()) {
                Update u = p.update(name);
                sum.merge(name, u, Update::plus);
            }
        }
        WeightDelta first = parts.get(0);
        return new WeightDelta(first.store, first.manager, Collections.unmodifiableMap(sum), List.copyOf(parts));
    }

    /** Builds a {@link WeightDelta} (not applied). */
    public static final class Builder {
        private final WeightStore store;
        private final NDManager manager;
        private final Map<String, Update> updates = new LinkedHashMap<>();

        private Builder(WeightStore store, NDManager manager) {
            this.store = store;
            this.manager = manager;
        }

        /**
         * Adds an update; a second update of the same parameter is added to the first.
         *
         * @param update the update
         * @return this builder
         */
        public Builder add(Update update) {
            String name = update.weight().name();
            NDArray w = store.get(name);
            long[] stored = update.weight().storedShape();
            if (!w.getShape().equals(new Shape(stored)) && !isVector(w, update.weight())) {
                throw new IllegalArgumentException("update of %s is for stored shape %s, but the parameter is %s"
                        .formatted(name, new Shape(stored), w.getShape()));
            }
            updates.merge(name, update, Update::plus);
            return this;
        }

        /** A 1-D parameter (a bias) of n values is updated through a [1, n] row in {@code OUT_IN} orientation. */
        private static boolean isVector(NDArray w, WeightRef ref) {
            return w.getShape().dimension() == 1 && ref.orientation() == Orientation.OUT_IN && ref.outFeatures() == 1
                    && ref.inFeatures() == w.getShape().get(0);
        }

        /** @return the patch, not yet applied */
        public WeightDelta build() {
            if (updates.isEmpty()) {
                throw new IllegalStateException("a weight delta needs at least one update");
            }
            return new WeightDelta(store, manager, Collections.unmodifiableMap(new LinkedHashMap<>(updates)), List.of());
        }
    }

    /** @return the names of the parameters this patch changes */
    public Set<String> parameters() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(updates.keySet()));
    }

    /**
     * @param parameter a parameter name
     * @return its update (for a sequence, the sum of the parts' updates)
     */
    public Update update(String parameter) {
        Update u = updates.get(parameter);
        if (u == null) {
            throw new IllegalArgumentException("this patch does not change " + parameter + "; it changes " + updates.keySet());
        }
        return u;
    }

    @Override
    public boolean isApplied() {
        return parts.isEmpty() ? applied : parts.stream().allMatch(WeightDelta::isApplied);
    }

    @Override
    public void apply() {
        if (!parts.isEmpty()) {
            List<WeightDelta> done = new ArrayList<>();
            try {
                for (WeightDelta p : parts) {
                    if (!p.isApplied()) {
                        p.apply();
                        done.add(p);
                    }
                }
            } catch (RuntimeException e) {
                for (int i = done.size() - 1; i >= 0; i--) {
                    done.get(i).revert();
                }
                throw e;
            }
            return;
        }
        if (applied) {
            return;
        }
        try {
            for (Map.Entry<String, Update> e : updates.entrySet()) {
                install(e.getKey(), e.getValue());
            }
        } catch (RuntimeException e) {
            restore();
            throw new EditException("could not write the edit into the weights (%s); the model is unchanged"
                    .formatted(e.getMessage()), e);
        }
        applied = true;
    }

    private void install(String name, Update u) {
        NDArray current = store.get(name);
        NDArray next;
        try (NDScope ignored = new NDScope()) {
            NDArray delta = storedDelta(u, current, manager);                              // stored orientation, f32
            NDArray sum = current.getDataType() == DataType.FLOAT32
                    ? delta.add(current)                     // delta first: the result belongs to its manager
                    : delta.add(Tensors.convert(current, DataType.FLOAT32, manager));
            next = sum.getDataType() == current.getDataType() ? sum : sum.toType(current.getDataType(), false);
            NDScope.unregister(next);
        }
        NDArray previous = store.replace(name, next);
        saved.put(name, previous);
        installed.put(name, next);
    }

    /**
     * Δ in the parameter's stored orientation and shape, float32: a [1, n] update of a 1-D parameter (a bias) is
     * reshaped to [n].
     *
     * @param u the update
     * @param current the parameter's current value
     * @param manager owner of the result
     * @return Δ as stored
     */
    public static NDArray storedDelta(Update u, NDArray current, NDManager manager) {
        NDArray delta = u.weight().orientation().fromMath(u.toMath(manager));
        return delta.getShape().equals(current.getShape()) ? delta : delta.reshape(current.getShape());
    }

    @Override
    public void revert() {
        if (!parts.isEmpty()) {
            for (int i = parts.size() - 1; i >= 0; i--) {
                parts.get(i).revert();
            }
            return;
        }
        if (!applied) {
            return;
        }
        for (Map.Entry<String, NDArray> e : installed.entrySet()) {
            if (store.get(e.getKey()) != e.getValue()) {
                throw new IllegalStateException(("%s was changed again after this patch; revert the later patch first "
                        + "(patches revert in reverse order)").formatted(e.getKey()));
            }
        }
        restore();
        applied = false;
    }

    /** Puts saved arrays back and frees the installed ones. */
    private void restore() {
        List<String> names = new ArrayList<>(installed.keySet());
        Collections.reverse(names);
        for (String name : names) {
            NDArray mine = installed.get(name);
            store.replace(name, saved.get(name));
            store.release(mine);
        }
        installed.clear();
        saved.clear();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("WeightDelta[");
        updates.forEach((k, u) -> sb.append(k).append(" ‖Δ‖=").append("%.4g".formatted(u.norm())).append(' '));
        return sb.append(isApplied() ? "applied]" : "not applied]").toString();
    }
}
