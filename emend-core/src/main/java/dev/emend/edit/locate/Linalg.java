package dev.emend.edit.locate;

import dev.emend.EditException;
import dev.emend.stats.SecondMoment;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Float64 linear algebra for editors, through EJML (DJL's PyTorch JNI offers only {@code inverse()}). Solving
 * {@code C x = b} by Cholesky is both cheaper and more accurate than forming {@code C⁻¹} as the reference code does;
 * the direction {@code C⁻¹k} is what ROME uses.
 */
public final class Linalg {
    private Linalg() {}

    /** A factorised symmetric positive-definite matrix. */
    public static final class SpdSolver {
        private final DMatrixRMaj lower;
        private final int n;

        private SpdSolver(DMatrixRMaj lower) {
            this.lower = lower;
            this.n = lower.numRows;
        }

        /** @return the dimension */
        public int dim() {
            return n;
        }

        /**
         * Solves {@code C x = b} by forward and back substitution with the Cholesky factor.
         *
         * @param b [n]
         * @return x [n]
         */
        public double[] solve(double[] b) {
            if (b.length != n) {
                throw new IllegalArgumentException("right-hand side has %d entries, the matrix is %d x %d".formatted(b.length, n, n));
            }
            double[] l = lower.data;
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {              // L y = b
                double s = b[i];
                int row = i * n;
                for (int k = 0; k < i; k++) {
                    s -= l[row + k] * y[k];
                }
                y[i] = s / l[row + i];
            }
            double[] x = new double[n];
            for (int i = n - 1; i >= 0; i--) {         // Lᵀ x = y
                double s = y[i];
                for (int k = i + 1; k < n; k++) {
                    s -= l[k * n + i] * x[k];
                }
                x[i] = s / l[i * n + i];
            }
            return x;
        }
    }

    /**
     * Factorises the second moment {@code C = S / count}.
     *
     * @param c the statistic
     * @return the solver
     * @throws EditException if C is singular: fewer key rows than dimensions, or not positive definite
     */
    public static SpdSolver cholesky(SecondMoment c) {
        int n = c.dim();
        if (c.count() < n) {
            throw new EditException(("the key statistics of layer %d are singular: %d key rows for %d dimensions. Use a "
                    + "larger corpus (mom2_n_samples, --stats-corpus) or set mom2_adjustment: false").formatted(c.layer(),
                    c.count(), n));
        }
        DMatrixRMaj a = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a.data[i * n + j] = c.moment(i, j);
            }
        }
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, true);
        if (!chol.decompose(a)) {
            throw new EditException(("the key statistics of layer %d are singular (not positive definite; %d key rows for "
                    + "%d dimensions). Use a larger or more varied corpus, or set mom2_adjustment: false").formatted(c.layer(),
                    c.count(), n));
        }
        DMatrixRMaj lower = chol.getT(null);
        for (int i = 0; i < n; i++) {
            double d = lower.get(i, i);
            if (!(d > 0) || !Double.isFinite(d)) {
                throw new EditException("the key statistics of layer %d are singular (pivot %d is %s)".formatted(c.layer(), i, d));
            }
        }
        return new SpdSolver(lower);
    }
}
