package dev.emend.eval.general;

import java.util.List;
import java.util.Objects;

/**
 * A multiple-choice question: a question (CommonsenseQA's {@code question.stem}, PIQA's {@code goal}), its options
 * and the index of the correct one.
 *
 * @param id the record's id, or its index in the file
 * @param question the question text, put into a task's prompt template
 * @param options the answer texts, at least two, without leading spaces
 * @param answer index of the correct option
 */
public record MultipleChoice(String id, String question, List<String> options, int answer) {
    /** Checks there are at least two options and the answer indexes one. */
    public MultipleChoice {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(question, "question");
        options = List.copyOf(options);
        if (options.size() < 2) {
            throw new IllegalArgumentException("question %s has %d options; at least 2 are needed".formatted(id, options.size()));
        }
        if (answer < 0 || answer >= options.size()) {
            throw new IllegalArgumentException("question %s: answer %d is not one of its %d options".formatted(id, answer,
                    options.size()));
        }
    }
}
