package dev.emend.edit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Numbers about one edit: the optimisation's loss per step, named norms and factors (e.g. {@code delta_norm},
 * {@code division_factor}, {@code update_norm}), and wall time. Names follow the quantities of algorithms.md.
 *
 * @param loss total loss per optimisation step (may be empty)
 * @param values named scalars
 * @param seconds wall time of compute and commit
 */
public record EditStats(List<Double> loss, Map<String, Double> values, double seconds) {
    /** Copies the collections. */
    public EditStats {
        loss = List.copyOf(loss);
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /**
     * @param name a scalar's name
     * @return its value, or NaN if absent
     */
    public double value(String name) {
        return values.getOrDefault(name, Double.NaN);
    }

    /**
     * Combines the stats of edits applied one after another: losses concatenated, values of the last edit, times
     * summed.
     *
     * @param parts per-edit stats
     * @return the combination
     */
    public static EditStats combine(List<EditStats> parts) {
        List<Double> loss = new java.util.ArrayList<>();
        Map<String, Double> values = new LinkedHashMap<>();
        double seconds = 0;
        for (EditStats s : parts) {
            loss.addAll(s.loss());
            values.putAll(s.values());
            seconds += s.seconds();
        }
        values.put("edits", (double) parts.size());
        return new EditStats(loss, values, seconds);
    }
}
