package dev.emend.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.UnaryOperator;

/**
 * Ops on arrays that live in a capped manager (loaded weights). DJL attaches an op's result to its first operand's
 * manager, which for a weight is capped and refuses it; these helpers lend the weight to a temporary manager for
 * the op and hand the result to a manager the caller names. The weight returns to its own manager unchanged.
 */
public final class Tensors {
    private Tensors() {}

    /**
     * Applies {@code op} to {@code weight} with the result owned by {@code into}.
     *
     * @param weight an array whose manager may be capped
     * @param into the manager that owns the result
     * @param op the computation; it must not keep references to intermediates
     * @return the result, attached to {@code into} (and registered with the current scope, if any)
     */
    public static NDArray apply(NDArray weight, NDManager into, UnaryOperator<NDArray> op) {
        NDArray result;
        try (NDManager lend = into.newSubManager()) {
            weight.tempAttach(lend);
            result = op.apply(weight);
            if (result == weight) {
                throw new IllegalArgumentException("op returned its input; nothing to own");
            }
            result.attach(into);
        }
        return result;
    }

    /**
     * Converts an array's type into a new, torch-owned array. Always a copy: DJL's {@code toType(sameType, true)}
     * returns an alias of the source's memory, which for a memory-mapped weight is read-only (writing it is a
     * SIGSEGV).
     *
     * @param array the source (its manager may be capped)
     * @param type the target type
     * @param into the manager that owns the result
     * @return a new array of {@code type}
     */
    public static NDArray convert(NDArray array, DataType type, NDManager into) {
        return apply(array, into, a -> a.getDataType() == type ? a.duplicate() : a.toType(type, false));
    }

    /**
     * A 0-d array holding {@code value}, in torch-owned memory, of {@code like}'s type and manager. Use it instead of
     * DJL's number overloads ({@code x.mul(2f)}) on any path that autograd differentiates: those build the scalar on
     * a Java direct buffer and close it at once, and when the garbage collector frees that buffer before
     * {@code backward}, the graph reads freed memory and the gradient is silently wrong.
     *
     * @param like the array whose type and manager the scalar takes
     * @param value the value
     * @return [] scalar
     */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    /**
     * An array holding a copy of Java data in torch-owned memory. DJL's {@code create} wraps a Java direct buffer
     * that lives only as long as the Java array object; once that is closed (an {@link ai.djl.ndarray.NDScope}
     * ending) the collector may free the buffer while autograd still holds the tensor (embedding indices, gather
     * indices, masks), and backward reads freed memory. Use this for every array built from Java data.
     *
     * @param manager the owner of the result
     * @param data the values
     * @param shape the shape
     * @return a new torch-owned array
     */
    public static NDArray create(NDManager manager, float[] data, Shape shape) {
        try (NDArray staged = manager.create(data, shape)) {
            return staged.duplicate();
        }
    }

    /**
     * As {@link #create(NDManager, float[], Shape)} for int64 data.
     *
     * @param manager the owner of the result
     * @param data the values
     * @param shape the shape
     * @return a new torch-owned array
     */
    public static NDArray create(NDManager manager, long[] data, Shape shape) {
        try (NDArray staged = manager.create(data, shape)) {
            return staged.duplicate();
        }
    }
}
