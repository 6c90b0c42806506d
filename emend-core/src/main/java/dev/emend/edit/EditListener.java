package dev.emend.edit;

/**
 * Receives an edit's progress: stages, optimisation steps and statistics collection. The CLI prints it, the server
 * streams it; the default methods ignore everything.
 */
public interface EditListener {
    /** A listener that ignores everything. */
    EditListener NONE = new EditListener() {};

    /**
     * One step of a value optimisation (ROME's v*, MEMIT's z).
     *
     * @param step the step
     */
    default void onStep(OptimizationStep step) {}

    /**
     * A stage starts, e.g. "context templates", "layer statistics", "keys", "v*", "commit".
     *
     * @param stage the stage
     */
    default void onStage(String stage) {}

    /**
     * Layer statistics progress.
     *
     * @param documents documents read
     * @param total documents to read
     */
    default void onStatistics(int documents, int total) {}
}
