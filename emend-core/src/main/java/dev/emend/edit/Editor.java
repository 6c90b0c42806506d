package dev.emend.edit;

import dev.emend.EditException;
import java.util.ArrayList;
import java.util.List;

/** An editing method bound to one model and one parameter set. Editors only edit; evaluation lives elsewhere. */
public interface Editor {
    /** @return the method name as in params files and reports, e.g. "ROME" */
    String method();

    /**
     * Computes the edit with the weights untouched (ROME's invariant), then commits it. Afterwards
     * {@code result.patch().isApplied()} holds and {@code revert()} restores every touched parameter bit-exactly.
     *
     * @param request the rewrite
     * @return the applied patch and statistics
     * @throws EditException if the edit cannot be computed (NaN, singular statistics, subject not found); the model
     *     is then exactly as before
     */
    EditResult apply(EditRequest request);

    /**
     * Applies several requests. Methods that cannot batch apply them one by one (each on the model edited by the
     * ones before) and compose the patches (weight deltas into a sequence, prompt patches into one patch whose parts
     * keep the order); if one fails, the earlier ones are reverted and the model is unchanged.
     *
     * @param requests the rewrites, in order
     * @return one result whose patch reverts all of them
     */
    default EditResult applyAll(List<EditRequest> requests) {
        List<EditResult> done = new ArrayList<>();
        try {
            for (EditRequest r : requests) {
                done.add(apply(r));
            }
        } catch (RuntimeException e) {
            for (int i = done.size() - 1; i >= 0; i--) {
                done.get(i).patch().revert();
            }
            throw e;
        }
        EditStats stats = EditStats.combine(done.stream().map(EditResult::stats).toList());
        if (done.stream().allMatch(r -> r.patch() instanceof PromptPatch)) {
            return new EditResult(List.copyOf(requests), PromptPatch.sequence(done.stream()
                    .map(r -> (PromptPatch) r.patch()).toList()), stats);
        }
        List<WeightDelta> deltas = new ArrayList<>();
        for (EditResult r : done) {
            if (!(r.patch() instanceof WeightDelta d)) {
                throw new UnsupportedOperationException(method() + " returned a patch that cannot be composed");
            }
            deltas.add(d);
        }
        return new EditResult(List.copyOf(requests), WeightDelta.sequence(deltas), stats);
    }
}
