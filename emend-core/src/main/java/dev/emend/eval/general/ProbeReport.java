package dev.emend.eval.general;

import java.util.List;

/**
 * The scores of every probe task on one model state.
 *
 * @param tasks one entry per task, in the order run
 */
public record ProbeReport(List<TaskScores> tasks) {
    /** Copies the list. */
    public ProbeReport {
        tasks = List.copyOf(tasks);
    }

    /**
     * @param name a task name
     * @return its scores
     * @throws IllegalArgumentException if no task has that name
     */
    public TaskScores task(String name) {
        return tasks.stream().filter(t -> t.task().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no task '%s' in this report; it has %s".formatted(name, tasks.stream().map(TaskScores::task).toList())));
    }
}
