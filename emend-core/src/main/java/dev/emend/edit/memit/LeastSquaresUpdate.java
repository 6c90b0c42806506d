package dev.emend.edit.memit;

import dev.emend.EditException;
import dev.emend.edit.WeightDelta;
import dev.emend.edit.locate.Linalg;
import dev.emend.edit.locate.NullSpace;
import dev.emend.model.WeightRef;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The closed forms of MEMIT and AlphaEdit for one layer, in float64, as low-rank factors {@code Δ = L Rt} with
 * {@code L} [D, n] and {@code Rt} [n, F] (maths orientation: {@code W} is [D, F]).
 *
 * <p>Both are written with the push-through (Woodbury) identity, so that only n×n (or N×N, N the keys of all live
 * edits) systems are solved instead of the reference's F×F ones; the algebra is exact, the rounding differs:
 * <pre>
 *   MEMIT      Δ = R Xᵀ,  X = (λC + KKᵀ)⁻¹K = G S⁻¹,          G = (λC)⁻¹K,  S = I + KᵀG
 *   AlphaEdit  Δ = R Yᵀ,  Y = (P(K Kᵀ + K_p K_pᵀ) + αI)⁻¹ P K
 *                           = (1/α) (PK − P K_c (αI + K_cᵀ P K_c)⁻¹ K_cᵀ P K),   K_c = [K, K_p]
 * </pre>
 * Keys and residuals are given as rows: {@code keys[j]} is k_j [F], {@code residuals[j]} is r_j [D].
 */
public final class LeastSquaresUpdate {
    private LeastSquaresUpdate() {}

    /**
     * MEMIT's update of one layer (algorithms §3.1).
     *
     * @param weight the out-projection
     * @param c the Cholesky factor of C, or null for {@code C = I}
     * @param lambda {@code mom2_update_weight}
     * @param keys K, n rows of F
     * @param residuals R, n rows of D (already divided by the layers left)
     * @return Δ as factors
     * @throws EditException if the system is singular or the result not finite
     */
    public static WeightDelta.LowRank memit(WeightRef weight, Linalg.SpdSolver c, double lambda, double[][] keys,
            double[][] residuals) {
        int n = keys.length;
        double[][] g = new double[n][];                                        // G rows: (λC)⁻¹ k_j [F]
        for (int j = 0; j < n; j++) {
            double[] x = c == null ? keys[j].clone() : c.solve(keys[j]);
            for (int i = 0; i < x.length; i++) {
                x[i] /= lambda;
            }
            g[j] = x;
        }
        DMatrixRMaj s = new DMatrixRMaj(n, n);                                 // S = I + KᵀG [n,n]
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                s.set(i, j, (i == j ? 1 : 0) + dot(keys[i], g[j]));
            }
        }
        symmetrise(s);
        DMatrixRMaj left = rightDivide(residuals, s, "MEMIT");                // L = R S⁻¹ [D,n]
        return factors(weight, left, g, "MEMIT");
    }

    /**
     * AlphaEdit's projected update of one layer (algorithms §4.2).
     *
     * @param weight the out-projection
     * @param nullSpace P of this layer
     * @param alpha {@code L2}
     * @param keys K of this batch, n rows of F
     * @param previous keys of earlier edits that are still applied (K_p), rows of F
     * @param residuals R, n rows of D
     * @return Δ as factors
     * @throws EditException if the system is singular or the result not finite
     */
    public static WeightDelta.LowRank alphaEdit(WeightRef weight, NullSpace nullSpace, double alpha, double[][] keys,
            List<double[]> previous, double[][] residuals) {
        int n = keys.length;
        int total = n + previous.size();
        double[][] kc = new double[total][];                                   // K_c rows [F]
        for (int j = 0; j < total; j++) {
            kc[j] = j < n ? keys[j] : previous.get(j - n);
        }
        double[][] pk = new double[total][];                                   // P k_j [F]
        for (int j = 0; j < total; j++) {
            pk[j] = nullSpace.project(kc[j]);
        }
        DMatrixRMaj m = new DMatrixRMaj(total, total);                         // αI + K_cᵀ P K_c [N,N]
        for (int i = 0; i < total; i++) {
            for (int j = i; j < total; j++) {
                double v = dot(kc[i], pk[j]);
                m.set(i, j, v);
                m.set(j, i, v);
            }
        }
        DMatrixRMaj t = new DMatrixRMaj(total, n);                             // K_cᵀ P K [N,n]
        for (int i = 0; i < total; i++) {
            for (int j = 0; j < n; j++) {
                t.set(i, j, m.get(i, j));
            }
        }
        for (int i = 0; i < total; i++) {
            m.add(i, i, alpha);
        }
        DMatrixRMaj z = new DMatrixRMaj(total, n);                             // Z = (αI + K_cᵀPK_c)⁻¹ K_cᵀPK [N,n]
        if (!CommonOps_DDRM.solve(m, t, z)) {
            throw new EditException("AlphaEdit's projected system is singular; raise L2. The model is unchanged");
        }
        int f = nullSpace.dim();
        double[][] y = new double[n][f];                                       // Y rows: y_j [F]
        for (int j = 0; j < n; j++) {
            double[] row = y[j];
            for (int q = 0; q < f; q++) {
                row[q] = pk[j][q];
            }
            for (int i = 0; i < total; i++) {
                double zij = z.get(i, j);
                double[] p = pk[i];
                for (int q = 0; q < f; q++) {
                    row[q] -= p[q] * zij;
                }
            }
            for (int q = 0; q < f; q++) {
                row[q] /= alpha;
            }
        }
        DMatrixRMaj left = new DMatrixRMaj(residuals[0].length, n);            // L = R [D,n]
        for (int j = 0; j < n; j++) {
            for (int d = 0; d < residuals[j].length; d++) {
                left.set(d, j, residuals[j][d]);
            }
        }
        return factors(weight, left, y, "AlphaEdit");
    }

    /** R S⁻¹ for symmetric S: solve S Lᵀ = Rᵀ. */
    private static DMatrixRMaj rightDivide(double[][] residuals, DMatrixRMaj s, String method) {
        int n = residuals.length;
        int d = residuals[0].length;
        DMatrixRMaj rt = new DMatrixRMaj(n, d);                                // Rᵀ [n,D]
        for (int j = 0; j < n; j++) {
            System.arraycopy(residuals[j], 0, rt.data, j * d, d);
        }
        DMatrixRMaj lt = new DMatrixRMaj(n, d);
        if (!CommonOps_DDRM.solve(s, rt, lt)) {
            throw new EditException(method + "'s system is singular (duplicate keys?); the model is unchanged");
        }
        return CommonOps_DDRM.transpose(lt, null);                             // [D,n]
    }

    private static WeightDelta.LowRank factors(WeightRef weight, DMatrixRMaj left, double[][] rightRows, String method) {
        int n = rightRows.length;
        int d = left.numRows;
        int f = rightRows[0].length;
        float[] l = new float[d * n];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) left.data[i];
        }
        float[] r = new float[n * f];
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < f; q++) {
                r[j * f + q] = (float) rightRows[j][q];
            }
        }
        for (float v : l) {
            requireFinite(v, method);
        }
        for (float v : r) {
            requireFinite(v, method);
        }
        return new WeightDelta.LowRank(weight, n, l, r);
    }

    private static void requireFinite(float v, String method) {
        if (!Float.isFinite(v)) {
            throw new EditException(method + "'s update is not finite (singular statistics or a diverged z); the model "
                    + "is unchanged. Use more statistics samples or check the request");
        }
    }

    private static void symmetrise(DMatrixRMaj s) {
        for (int i = 0; i < s.numRows; i++) {
            for (int j = i + 1; j < s.numCols; j++) {
                double v = (s.get(i, j) + s.get(j, i)) / 2;
                s.set(i, j, v);
                s.set(j, i, v);
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
