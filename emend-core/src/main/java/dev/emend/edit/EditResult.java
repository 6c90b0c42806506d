package dev.emend.edit;

import java.util.List;

/**
 * The outcome of an edit.
 *
 * @param requests the requests this result covers
 * @param patch what changed; {@link ModelPatch#revert()} undoes it
 * @param stats loss trace, norms and time
 */
public record EditResult(List<EditRequest> requests, ModelPatch patch, EditStats stats) {
    /** Copies the list. */
    public EditResult {
        requests = List.copyOf(requests);
    }
}
