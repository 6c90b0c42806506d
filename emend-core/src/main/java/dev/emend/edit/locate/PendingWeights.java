package dev.emend.edit.locate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.emend.edit.WeightDelta;
import dev.emend.model.LanguageModel;
import dev.emend.tensor.Tensors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Updates computed but not committed: {@code W + Δ} per parameter, passed to forward passes as overrides so that later
 * layers of a multi-layer edit see the earlier layers' updates (MEMIT's "partially edited model") while the model's
 * weights stay untouched. {@code W + Δ} is formed exactly as {@link WeightDelta#apply()} forms it, so a forward pass
 * with these overrides equals one on the committed model. Owns its arrays; close it when the computation ends.
 */
public final class PendingWeights implements AutoCloseable {
    private final LanguageModel model;
    private final NDManager manager;
    private final Map<String, NDArray> overrides = new LinkedHashMap<>();

    /** @param model the model whose weights are overridden */
    public PendingWeights(LanguageModel model) {
        this.model = model;
        this.manager = model.manager().newSubManager();
    }

    /** @return parameter name → pending value, for {@code ForwardRequest.Builder.override} */
    public Map<String, NDArray> overrides() {
        return Collections.unmodifiableMap(overrides);
    }

    /**
     * Adds an update on top of the parameter's pending (or current) value.
     *
     * @param update Δ
     */
    public void add(WeightDelta.Update update) {
        String name = update.weight().name();
        NDArray current = overrides.getOrDefault(name, model.weights().get(name));
        NDArray next;
        try (NDScope ignored = new NDScope()) {
            NDArray delta = WeightDelta.storedDelta(update, current, manager);                   // stored orientation, f32
            NDArray sum = current.getDataType() == DataType.FLOAT32 ? delta.add(current)
                    : delta.add(Tensors.convert(current, DataType.FLOAT32, manager));
            next = sum.getDataType() == current.getDataType() ? sum : sum.toType(current.getDataType(), false);
            NDScope.unregister(next);
        }
        NDArray previous = overrides.put(name, next);
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
