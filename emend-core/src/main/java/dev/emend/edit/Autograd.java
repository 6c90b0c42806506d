package dev.emend.edit;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.emend.EditException;

/** The two pieces of DJL bookkeeping every optimising editor needs (ROME's v*, FT, LoRA), in one place. */
public final class Autograd {
    private Autograd() {}

    /**
     * Opens the JVM's gradient collector (DJL allows one at a time, djl-notes).
     *
     * @param engine the engine
     * @return the collector; the caller closes it
     * @throws EditException if another gradient computation holds it
     */
    public static GradientCollector collector(Engine engine) {
        try {
            return engine.newGradientCollector();
        } catch (IllegalStateException e) {
            throw new EditException("another gradient computation is running (DJL allows one GradientCollector per JVM); "
                    + "run edits one at a time", e);
        }
    }

    /**
     * Takes an array out of the enclosing {@link NDScope} and gives it to {@code owner}, so it outlives the step.
     *
     * @param a the array
     * @param owner its new owner
     * @return {@code a}
     */
    public static NDArray persistent(NDArray a, NDManager owner) {
        NDScope.unregister(a);
        a.attach(owner);
        return a;
    }
}
