package dev.emend.model;

import ai.djl.ndarray.NDArray;

/**
 * The outcome of one forward pass. Arrays are registered with the caller's current {@code NDScope}.
 *
 * @param logits [B,T,V], or [B,P,V] when logits were asked at P positions per row; null if the pass stopped early
 *     or logits were not requested
 * @param cache captured activations
 */
public record ForwardResult(NDArray logits, ActivationCache cache) implements AutoCloseable {
    /** Closes the logits and every captured array. */
    @Override
    public void close() {
        if (logits != null) {
            logits.close();
        }
        cache.asMap().values().forEach(NDArray::close);
    }
}
