package dev.emend.stats;

/**
 * The uncentred second moment of keys at one layer: {@code C = S / count} with {@code S = Σ k kᵀ} over {@code count}
 * key rows (algorithms §1.4). Only the direction {@code C⁻¹k} matters to ROME; MEMIT and AlphaEdit use the scale.
 *
 * @param layer the block whose {@code mlp.hook_post} was read
 * @param dim F, the key width
 * @param count N, key rows accumulated (real tokens)
 * @param documents documents read
 * @param sum S [F,F] row-major, accumulated in {@code dtype}
 * @param dtype accumulation type, "float32" or "float64"
 */
public record SecondMoment(int layer, int dim, long count, int documents, float[] sum, String dtype) {
    /** Checks sizes. */
    public SecondMoment {
        if ((long) dim * dim != sum.length) {
            throw new IllegalArgumentException("sum has %d entries, expected %d x %d".formatted(sum.length, dim, dim));
        }
        if (count <= 0) {
            throw new IllegalArgumentException("a second moment needs at least one key row, got " + count);
        }
    }

    /**
     * @param i row
     * @param j column
     * @return {@code C[i,j] = S[i,j] / count}
     */
    public double moment(int i, int j) {
        return (double) sum[i * dim + j] / count;
    }
}
