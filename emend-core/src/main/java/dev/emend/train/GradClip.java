package dev.emend.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Global-norm gradient clipping with the semantics of {@code torch.nn.utils.clip_grad_norm_} (norm type 2): the
 * norm is taken over all gradients together, and every gradient is multiplied by
 * {@code min(1, maxNorm / (norm + 1e-6))}.
 */
public final class GradClip {
    /** The guard torch adds to the norm before dividing. */
    public static final double EPS = 1e-6;

    private GradClip() {}

    /**
     * The L2 norm of all gradients taken as one vector: √Σ‖g‖². Each tensor's sum of squares is reduced in its own
     * type (float32 or float64); the total is accumulated in double.
     *
     * @param grads the gradients
     * @return the global norm
     */
    public static double globalNorm(Iterable<NDArray> grads) {
        double sq = 0;
        for (NDArray g : grads) {
            try (NDArray s = g.square(); NDArray t = s.sum()) {
                sq += t.getDataType() == DataType.FLOAT64 ? t.getDouble() : t.getFloat();
            }
        }
        return Math.sqrt(sq);
    }

    /**
     * The factor the gradients are multiplied by.
     *
     * @param norm the global norm ({@link #globalNorm})
     * @param maxNorm the clip threshold
     * @return {@code min(1, maxNorm / (norm + 1e-6))}; 1 means no clipping
     */
    public static double coefficient(double norm, double maxNorm) {
        return Math.min(1.0, maxNorm / (norm + EPS));
    }
}
