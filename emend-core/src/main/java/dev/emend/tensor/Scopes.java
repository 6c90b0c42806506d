package dev.emend.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Helpers for {@link NDScope}: every forward, step and metric runs in a scope so that temporaries are freed whatever
 * manager they landed in (djl-notes §2).
 */
public final class Scopes {
    private Scopes() {}

    /**
     * Runs {@code body} in a fresh scope and hands its result to the enclosing scope (if any), freeing everything
     * else the body created.
     *
     * @param body computes one array
     * @return the array, now registered with the enclosing scope
     */
    public static NDArray keep(Supplier<NDArray> body) {
        NDArray result;
        try (NDScope ignored = new NDScope()) {
            result = body.get();
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Moves arrays from the innermost scope to the one enclosing it. Call as the last statement inside a
     * try-with-resources scope, then {@link #adopt} them after the scope closed.
     *
     * @param arrays arrays to keep alive
     */
    public static void release(NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                NDScope.unregister(a);
            }
        }
    }

    /**
     * Registers arrays with the current innermost scope (after {@link #release} from an inner one).
     *
     * @param arrays arrays to register
     */
    public static void adopt(NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                NDScope.register(a);
            }
        }
    }
}
