package dev.emend.edit;

/**
 * What an edit changed and how to undo it; replaces EasyEdit's four name-keyed restore strategies. Weight edits are
 * {@link WeightDelta}s; in-context edits (IKE, ICE) are {@link PromptPatch}es, which change the model's prompt context
 * and no weight. Standing hook interventions (GRACE, WISE) join this hierarchy with their editors.
 */
public sealed interface ModelPatch permits WeightDelta, PromptPatch {
    /** @return true while the change is in the model */
    boolean isApplied();

    /** Puts the change (back) into the model; a no-op if applied. */
    void apply();

    /**
     * Restores every touched parameter bit-exactly (the saved originals go back; never {@code W - Δ}), or removes the
     * prompt context the patch added. Idempotent.
     *
     * @throws IllegalStateException if a later patch changed the same parameter and is still applied: revert that
     *     one first
     */
    void revert();
}
