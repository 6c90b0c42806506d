package dev.emend.model;

import ai.djl.ndarray.NDArray;

/**
 * How a projection's weight is stored. The maths convention everywhere in Emend is {@code y = W x} with
 * {@code W} of shape [out, in]; {@link #toMath} and {@link #fromMath} convert (algorithms §0.3).
 */
public enum Orientation {
    /** HF {@code nn.Linear}: stored [out, in], {@code y = x Wᵀ + b}. */
    OUT_IN,
    /** HF GPT-2 {@code Conv1D}: stored [in, out], {@code y = x W + b}. */
    IN_OUT;

    /**
     * @param stored the weight as stored
     * @return the [out, in] view
     */
    public NDArray toMath(NDArray stored) {
        return this == OUT_IN ? stored : stored.transpose();
    }

    /**
     * @param math a matrix in [out, in] form, e.g. an update Δ
     * @return the same matrix in stored orientation
     */
    public NDArray fromMath(NDArray math) {
        return this == OUT_IN ? math : math.transpose();
    }

    /**
     * The stored shape of an [out, in] matrix.
     *
     * @param out output features
     * @param in input features
     * @return {@code {out, in}} or {@code {in, out}}
     */
    public long[] storedShape(long out, long in) {
        return this == OUT_IN ? new long[] {out, in} : new long[] {in, out};
    }
}
