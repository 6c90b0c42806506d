package dev.emend.edit.locate;

import dev.emend.EditException;
import dev.emend.edit.WeightDelta;
import dev.emend.model.WeightRef;

/**
 * ROME's closed form (algorithms §2.1–2.3): with the key direction {@code u = C⁻¹k̄ / ‖C⁻¹k̄‖} (or {@code k̄/‖k̄‖}
 * without the second moment), a key {@code k}, its current value {@code m = W k + b} and the target {@code v*},
 * <pre>
 *   r = (v* − m) / (k · u)        Δ = r uᵀ   (maths orientation [D, F])
 * </pre>
 * so that {@code (W + Δ) k + b = v*} exactly. Original ROME uses the bare prompt's {@code k₀, m₀}; R-ROME the mean
 * {@code k̄, m̄} over the context templates (the paper's formula with {@code k* = k̄}). Computed in float64.
 */
public final class RankOneUpdate {
    private RankOneUpdate() {}

    /**
     * The factors of one rank-one update.
     *
     * @param u the key direction [F], unit norm
     * @param r the value change per unit of {@code k · u} [D]
     * @param divisionFactor {@code k · u}; a tiny value signals a disabling edit (algorithms §2.2)
     */
    public record Factors(double[] u, double[] r, double divisionFactor) {
        /** @return ‖Δ‖_F = ‖r‖ (u has unit norm) */
        public double norm() {
            double s = 0;
            for (double x : r) {
                s += x * x;
            }
            return Math.sqrt(s);
        }

        /**
         * @param weight the out-projection, [D, F] in maths orientation
         * @return Δ = r uᵀ as a weight update
         */
        public WeightDelta.LowRank toUpdate(WeightRef weight) {
            return WeightDelta.LowRank.outer(weight, toFloats(r), toFloats(u));
        }
    }

    /**
     * The key direction.
     *
     * @param kBar the mean key [F]
     * @param c the second moment's solver, or null for {@code C = I} ({@code mom2_adjustment: false})
     * @return u [F], unit norm
     * @throws EditException if the direction is zero or not finite
     */
    public static double[] direction(float[] kBar, Linalg.SpdSolver c) {
        double[] k = new double[kBar.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = kBar[i];
        }
        double[] u = c == null ? k : c.solve(k);
        double norm = 0;
        for (double x : u) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (!(norm > 0) || !Double.isFinite(norm)) {
            throw new EditException("the key direction C⁻¹k has norm %s; the key statistics or the key are degenerate".formatted(norm));
        }
        for (int i = 0; i < u.length; i++) {
            u[i] /= norm;
        }
        return u;
    }

    /**
     * Solves for the value factor.
     *
     * @param u the key direction [F]
     * @param key the key the update must map exactly [F]
     * @param value its current value {@code W k + b} [D]
     * @param vStar the target value [D]
     * @return the factors
     * @throws EditException if {@code k · u} is zero or not finite, or r is not finite
     */
    public static Factors solve(double[] u, float[] key, float[] value, float[] vStar) {
        double ku = 0;
        double kk = 0;
        for (int i = 0; i < u.length; i++) {
            ku += key[i] * u[i];
            kk += (double) key[i] * key[i];
        }
        if (!Double.isFinite(ku) || Math.abs(ku) <= 1e-12 * Math.sqrt(kk)) {
            throw new EditException(("the division factor k·u = %s is zero: the update direction is orthogonal to the key, "
                    + "so no finite rank-one update maps it (a disabling edit). Try R-ROME or another layer").formatted(ku));
        }
        double[] r = new double[vStar.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((double) vStar[i] - value[i]) / ku;
            if (!Double.isFinite(r[i])) {
                throw new EditException("the rank-one update is not finite (r[%d] = %s)".formatted(i, r[i]));
            }
        }
        return new Factors(u.clone(), r, ku);
    }

    static float[] toFloats(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }
}
