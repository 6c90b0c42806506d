package dev.emend.edit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A sequence of edits on one model with undo: each applied result is kept, and reverts go last-first so that every
 * revert restores exactly the weights the edit found. Not thread-safe; one writer at a time (the server serialises
 * edits through its queue).
 */
public final class EditSession {
    private final Deque<EditResult> history = new ArrayDeque<>();

    /**
     * Applies one edit and records it.
     *
     * @param editor the editor (bound to the session's model)
     * @param request the rewrite
     * @return the result; its patch is applied
     */
    public EditResult apply(Editor editor, EditRequest request) {
        EditResult r = Objects.requireNonNull(editor, "editor").apply(request);
        history.push(r);
        return r;
    }

    /**
     * Records a result applied elsewhere (e.g. by {@link Editor#applyAll}).
     *
     * @param result an applied result
     * @return the result
     */
    public EditResult record(EditResult result) {
        if (!result.patch().isApplied()) {
            throw new IllegalArgumentException("only applied results can be recorded");
        }
        history.push(result);
        return result;
    }

    /** @return applied edits, oldest first */
    public List<EditResult> history() {
        List<EditResult> out = new ArrayList<>(history);
        java.util.Collections.reverse(out);
        return out;
    }

    /** @return the number of applied edits */
    public int size() {
        return history.size();
    }

    /**
     * Reverts the most recent edit.
     *
     * @return the reverted result, or empty if there is none
     */
    public Optional<EditResult> revertLast() {
        EditResult r = history.peek();
        if (r == null) {
            return Optional.empty();
        }
        r.patch().revert();
        history.pop();
        return Optional.of(r);
    }

    /**
     * Reverts every edit, last first; the model is then exactly as before the first one.
     *
     * @return the number of edits reverted
     */
    public int revertAll() {
        int n = 0;
        while (revertLast().isPresent()) {
            n++;
        }
        return n;
    }
}
