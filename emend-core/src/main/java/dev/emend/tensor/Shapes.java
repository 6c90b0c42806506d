package dev.emend.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/** Shape checks at public boundaries; messages give the expected pattern and the actual shape. */
public final class Shapes {
    private Shapes() {}

    /**
     * Requires an exact shape; a negative expected dimension matches anything.
     *
     * @param array the array to check
     * @param pattern a readable pattern for messages, e.g. {@code "[B,T,D]"}
     * @param dims expected dimensions, -1 for any
     * @return {@code array}, for chaining
     * @throws IllegalArgumentException if the rank or a dimension differs
     */
    public static NDArray require(NDArray array, String pattern, long... dims) {
        Shape s = array.getShape();
        boolean ok = s.dimension() == dims.length;
        for (int i = 0; ok && i < dims.length; i++) {
            ok = dims[i] < 0 || s.get(i) == dims[i];
        }
        if (!ok) {
            throw new IllegalArgumentException("expected shape %s = %s, got %s"
                    .formatted(pattern, Arrays.toString(dims).replace("-1", "*"), s));
        }
        return array;
    }
}
