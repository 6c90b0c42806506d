package dev.emend.model;

import ai.djl.ndarray.NDArray;

/**
 * Observes or replaces one activation. Return {@code activation} itself to observe, or a new array to intervene.
 * Never modify {@code activation} in place: that breaks autograd and other hooks.
 */
@FunctionalInterface
public interface Hook {
    /**
     * Applies the hook.
     *
     * @param activation the activation at {@code point}, e.g. [B,T,D]
     * @param point where it is
     * @return the activation the forward pass continues with, same shape
     */
    NDArray apply(NDArray activation, HookPoint point);
}
