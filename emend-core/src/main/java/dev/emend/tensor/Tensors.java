package dev.emend.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
}
