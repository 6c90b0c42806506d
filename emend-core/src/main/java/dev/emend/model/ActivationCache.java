package dev.emend.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Activations captured during one forward pass, keyed by {@link HookPoint}. */
public final class ActivationCache {
    private final Map<HookPoint, NDArray> values;

    /**
     * Wraps captured values.
     *
     * @param values captured activations
     */
    public ActivationCache(Map<HookPoint, NDArray> values) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** @return an empty cache */
    public static ActivationCache empty() {
        return new ActivationCache(Map.of());
    }

    /**
     * Returns a captured activation.
     *
     * @param point the hook point
     * @return the activation, e.g. [B,T,D] or [B,T,F] for {@code MLP_POST}
     * @throws IllegalArgumentException if the point was not captured
     */
    public NDArray get(HookPoint point) {
        NDArray a = values.get(point);
        if (a == null) {
            throw new IllegalArgumentException("hook point %s was not captured; add it with Hooks.builder().capture(...) (captured: %s)"
                    .formatted(point, values.keySet()));
        }
        return a;
    }

    /** @param point the hook point @return true if captured */
    public boolean contains(HookPoint point) {
        return values.containsKey(point);
    }

    /** @return all captured activations in forward order */
    public Map<HookPoint, NDArray> asMap() {
        return values;
    }
}
