package dev.emend.eval.general;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The scores of one probe task on one model state.
 *
 * @param task the task's name
 * @param items how many items were scored
 * @param metrics metric name → value in [0,1], in the task's order (e.g. {@code acc}, {@code acc_norm})
 * @param seconds wall time of the task
 */
public record TaskScores(String task, int items, Map<String, Double> metrics, double seconds) {
    /** Copies the metrics, keeping their order. */
    public TaskScores {
        Objects.requireNonNull(task, "task");
        metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /**
     * @param metric a metric name
     * @return its value
     * @throws IllegalArgumentException if the task has no such metric
     */
    public double metric(String metric) {
        Double v = metrics.get(metric);
        if (v == null) {
            throw new IllegalArgumentException("task %s has no metric '%s'; it has %s".formatted(task, metric, metrics.keySet()));
        }
        return v;
    }
}
