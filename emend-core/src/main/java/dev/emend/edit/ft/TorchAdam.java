package dev.emend.edit.ft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.emend.tensor.Tensors;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code torch.optim.Adam} (β 0.9/0.999, ε 1e-8, no amsgrad) with its coupled L2 weight decay, as EasyEdit's FT uses
 * it. Written out because DJL's optimizer keeps its state forever (djl-notes §1); the state lives in a manager this
 * object owns. Each parameter counts its own steps (torch's per-parameter {@code state['step']}), so a batch whose
 * step is skipped does not advance the bias correction.
 *
 * <pre>
 *   g ← g + λ p          m ← β1 m + (1−β1) g          v ← β2 v + (1−β2) g²
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
 * </pre>
 *
 * Updates are in place on the parameter, which must not require a gradient.
 */
public final class TorchAdam implements AutoCloseable {
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPS = 1e-8;

    private final NDManager state;
    private final double lr;
    private final double weightDecay;
    private final Map<String, NDArray[]> moments = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();

    /**
     * @param parent manager under which the state is allocated
     * @param lr learning rate
     * @param weightDecay coupled L2 λ
     */
    public TorchAdam(NDManager parent, double lr, double weightDecay) {
        this.state = parent.newSubManager();
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    /**
     * One step of one parameter, in place.
     *
     * @param name keys the state
     * @param p the parameter (float32, not requiring a gradient)
     * @param g its gradient, same shape
     */
    public void step(String name, NDArray p, NDArray g) {
        NDArray[] mv = moments.computeIfAbsent(name, k -> {
            NDArray m = state.zeros(p.getShape(), p.getDataType());
            NDArray v = state.zeros(p.getShape(), p.getDataType());
            NDScope.unregister(m, v);
            return new NDArray[] {m, v};
        });
        int t = steps.merge(name, 1, Integer::sum);
        double bc1 = 1 - Math.pow(BETA1, t);
        double bc2 = 1 - Math.pow(BETA2, t);
        try (NDScope ignored = new NDScope()) {
            NDArray grad = weightDecay > 0 ? g.add(p.mul(Tensors.scalar(p, weightDecay))) : g;
            mv[0].muli(Tensors.scalar(p, BETA1)).addi(grad.mul(Tensors.scalar(p, 1 - BETA1)));
            mv[1].muli(Tensors.scalar(p, BETA2)).addi(grad.square().mul(Tensors.scalar(p, 1 - BETA2)));
            NDArray denom = mv[1].sqrt().div(Tensors.scalar(p, Math.sqrt(bc2))).add(Tensors.scalar(p, EPS));
            p.subi(mv[0].div(denom).mul(Tensors.scalar(p, lr / bc1)));
        }
    }

    @Override
    public void close() {
        state.close();
    }
}
