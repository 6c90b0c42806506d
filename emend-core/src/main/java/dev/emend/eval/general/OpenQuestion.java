package dev.emend.eval.general;

import java.util.List;
import java.util.Objects;

/**
 * An open question with its accepted answers (TriviaQA: the answer's value and all its aliases).
 *
 * @param id the record's id, or its index in the file
 * @param question the question text
 * @param answers accepted answers, at least one; a prediction matching any of them counts
 */
public record OpenQuestion(String id, String question, List<String> answers) {
    /** Checks there is at least one answer. */
    public OpenQuestion {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(question, "question");
        answers = List.copyOf(answers);
        if (answers.isEmpty()) {
            throw new IllegalArgumentException("question %s has no answers".formatted(id));
        }
    }
}
