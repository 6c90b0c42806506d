package dev.emend.eval.general;

import dev.emend.edit.EditStats;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * General capability before and after a set of edits.
 *
 * @param before scores of the unedited model
 * @param after scores with the edits applied
 * @param method the editing method
 * @param edits how many requests were applied
 * @param editStats the edit's statistics (time, losses)
 */
public record ProbeComparison(ProbeReport before, ProbeReport after, String method, int edits, EditStats editStats) {
    /** Checks both reports cover the same tasks. */
    public ProbeComparison {
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        if (!before.tasks().stream().map(TaskScores::task).toList().equals(after.tasks().stream().map(TaskScores::task).toList())) {
            throw new IllegalArgumentException("before and after reports cover different tasks");
        }
    }

    /**
     * @param task a task name
     * @param metric one of its metrics
     * @return after − before
     */
    public double delta(String task, String metric) {
        return after.task(task).metric(metric) - before.task(task).metric(metric);
    }

    /** @return task → metric → after − before, in report order */
    public Map<String, Map<String, Double>> deltas() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (TaskScores t : before.tasks()) {
            Map<String, Double> m = new LinkedHashMap<>();
            t.metrics().keySet().forEach(k -> m.put(k, delta(t.task(), k)));
            out.put(t.task(), m);
        }
        return out;
    }
}
