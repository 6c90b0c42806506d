package dev.emend.model;

import ai.djl.ndarray.NDArray;

/**
 * The outcome of one forward pass. Arrays are registered with the caller's current {@code NDScope}.
 *
 * @param logits [B,T,V], or [B,P,V] when logits were asked at P positions per row; null if the pass stopped early
 *     or logits were not requested
 * @param cache captured activations
 * @param resume the state kept for {@link ForwardRequest.Builder#saveResume}, or null
 */
public record ForwardResult(NDArray logits, ActivationCache cache, ResumeState resume) implements AutoCloseable {
    /**
     * A result without a resume state.
     *
     * @param logits logits or null
     * @param cache captured activations
     */
    public ForwardResult(NDArray logits, ActivationCache cache) {
        this(logits, cache, null);
    }

    /** Closes the logits, every captured array and the resume state. */
    @Override
    public void close() {
        if (logits != null) {
            logits.close();
        }
        cache.asMap().values().forEach(NDArray::close);
        if (resume != null) {
            resume.close();
        }
    }
}
