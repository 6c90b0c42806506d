package dev.emend.eval;

import dev.emend.edit.EditRequest;
import java.util.Objects;

/**
 * One case of a benchmark run, EasyEdit's per-case record
 * {@code {"case_id", "requested_rewrite", "pre", "post", "time"}} (easyedit-reference §2.1).
 *
 * @param caseId the case's index in the run
 * @param request the request ({@code requested_rewrite})
 * @param pre scores on the unedited model
 * @param post scores on the edited model, or null if the edit failed
 * @param time seconds the editor took to compute and commit the edit (NaN if it failed)
 * @param error why the edit failed ({@link dev.emend.EditException}'s message), or null
 */
public record CaseResult(int caseId, EditRequest request, PhaseScores pre, PhaseScores post, double time, String error) {
    /** Checks that exactly one of {@code post} and {@code error} is set. */
    public CaseResult {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(pre, "pre");
        if ((post == null) == (error == null)) {
            throw new IllegalArgumentException("a case has either post-edit scores or an error");
        }
    }

    /** @return true if the edit failed and the case has no post-edit scores */
    public boolean failed() {
        return error != null;
    }
}
