package dev.emend.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter), written out because DJL's optimizer keeps its state
 * in the system manager forever (djl-notes §1). State lives in a manager this object owns; {@link #close()} frees
 * it. Updates are in place on the parameters and must run outside a {@code GradientCollector}.
 *
 * <pre>
 *   m = β1 m + (1-β1) g          v = β2 v + (1-β2) g²
 *   p -= lr (m̂ / (√v̂ + ε) + λ p)   with m̂ = m/(1-β1^t), v̂ = v/(1-β2^t); λ only for decayed parameters
 * </pre>
 */
public final class AdamW implements AutoCloseable {
    private final NDManager state;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    /**
     * Creates the optimizer.
     *
     * @param parent manager under which the state is allocated
     * @param beta1 first-moment decay (0.9)
     * @param beta2 second-moment decay (0.999, or 0.95 for LM training)
     * @param eps denominator guard (1e-8)
     */
    public AdamW(NDManager parent, float beta1, float beta2, float eps) {
        this.state = parent.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** @return steps taken */
    public long step() {
        return step;
    }

    /** Starts a step: call once before the {@link #update} calls of that step. */
    public void beginStep() {
        step++;
    }

    /**
     * Updates one parameter in place.
     *
     * @param name parameter name (keys the state)
     * @param p the parameter
     * @param g its gradient, same shape
     * @param lr learning rate of this step
     * @param weightDecay decoupled decay λ (0 for biases, norms)
     */
    public void update(String name, NDArray p, NDArray g, float lr, float weightDecay) {
        NDArray mt = m.computeIfAbsent(name, k -> persistent(state.zeros(p.getShape(), p.getDataType())));
        NDArray vt = v.computeIfAbsent(name, k -> persistent(state.zeros(p.getShape(), p.getDataType())));
        float c1 = (float) (1 - Math.pow(beta1, step));
        float c2 = (float) (1 - Math.pow(beta2, step));
        try (NDScope ignored = new NDScope()) {
            mt.muli(beta1).addi(g.mul(1 - beta1));
            vt.muli(beta2).addi(g.square().mul(1 - beta2));
            NDArray update = mt.div(c1).div(vt.div(c2).sqrt().add(eps));
            if (weightDecay > 0) {
                p.muli(1 - lr * weightDecay);
            }
            p.subi(update.mul(lr));
        }
    }

    /** @return the first and second moments by name, for checkpoints */
    public Map<String, NDArray[]> moments() {
        Map<String, NDArray[]> out = new LinkedHashMap<>();
        m.forEach((k, a) -> out.put(k, new NDArray[] {a, v.get(k)}));
        return out;
    }

    /**
     * Restores state from a checkpoint.
     *
     * @param steps steps taken
     * @param moments first and second moments by name (copied)
     */
    public void restore(long steps, Map<String, NDArray[]> moments) {
        this.step = steps;
        moments.forEach((k, a) -> {
            m.put(k, persistent(state.zeros(a[0].getShape(), a[0].getDataType()).addi(a[0])));
            v.put(k, persistent(state.zeros(a[1].getShape(), a[1].getDataType()).addi(a[1])));
        });
    }

    /** State outlives the caller's step scope; the state manager frees it. */
    private static NDArray persistent(NDArray a) {
        NDScope.unregister(a);
        return a;
    }

    @Override
    public void close() {
        state.close();
    }
}
