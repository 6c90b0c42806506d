package dev.emend.edit.locate;

import dev.emend.EditException;
import dev.emend.stats.SecondMoment;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * AlphaEdit's projector onto the null space of the preserved keys (algorithms §4.1): with {@code C = U Σ Uᵀ}, the
 * columns {@code U₀} whose eigenvalue is below an absolute threshold span the directions the preserved keys barely
 * use, and {@code P = U₀ U₀ᵀ}. Kept as the basis {@code U₀} [m, F] (rows are eigenvectors), so {@code P x = U₀ᵀ(U₀ x)}
 * costs {@code 2mF} instead of storing the dense [F, F] projector. The eigendecomposition is symmetric, in float64
 * (EJML), which for the positive semi-definite C equals the reference's SVD.
 *
 * @param layer the block
 * @param basis U₀, m rows of F
 * @param dim F
 * @param eigenvalueMin the smallest eigenvalue of C
 * @param eigenvalueMax the largest eigenvalue of C
 */
public record NullSpace(int layer, double[][] basis, int dim, double eigenvalueMin, double eigenvalueMax) {
    /**
     * Builds the projector of one layer.
     *
     * @param c the key second moment
     * @param threshold eigenvalues strictly below it are kept ({@code nullspace_threshold})
     * @return the null space
     * @throws EditException if the decomposition fails or the null space is empty
     */
    public static NullSpace of(SecondMoment c, double threshold) {
        int n = c.dim();
        DMatrixRMaj a = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a.data[i * n + j] = (c.moment(i, j) + c.moment(j, i)) / 2;          // exactly symmetric
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
        if (!eig.decompose(a)) {
            throw new EditException("the eigendecomposition of the key statistics of layer %d failed".formatted(c.layer()));
        }
        int kept = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double v = eig.getEigenvalue(i).getReal();
            min = Math.min(min, v);
            max = Math.max(max, v);
            if (Math.abs(v) < threshold) {
                kept++;
            }
        }
        if (kept == 0) {
            throw new EditException(("no eigenvalue of the key statistics of layer %d is below nullspace_threshold %s "
                    + "(they range over %.3g..%.3g), so AlphaEdit could change nothing. The threshold is absolute: raise it "
                    + "for this model").formatted(c.layer(), threshold, min, max));
        }
        double[][] basis = new double[kept][];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (Math.abs(eig.getEigenvalue(i).getReal()) < threshold) {
                DMatrixRMaj v = eig.getEigenVector(i);
                double norm = 0;
                for (int j = 0; j < n; j++) {
                    norm += v.data[j] * v.data[j];
                }
                norm = Math.sqrt(norm);
                double[] row = new double[n];
                for (int j = 0; j < n; j++) {
                    row[j] = v.data[j] / norm;
                }
                basis[k++] = row;
            }
        }
        return new NullSpace(c.layer(), basis, n, min, max);
    }

    /** @return m, the dimension of the null space */
    public int rank() {
        return basis.length;
    }

    /**
     * @param x [F]
     * @return {@code P x = U₀ᵀ (U₀ x)} [F]
     */
    public double[] project(double[] x) {
        double[] out = new double[dim];
        for (double[] u : basis) {
            double dot = 0;
            for (int j = 0; j < dim; j++) {
                dot += u[j] * x[j];
            }
            for (int j = 0; j < dim; j++) {
                out[j] += dot * u[j];
            }
        }
        return out;
    }
}
