package dev.emend.eval.general;

import java.util.Objects;

/**
 * A document and its reference summary (XSum).
 *
 * @param id the record's id, or its index in the file
 * @param document the text to summarise
 * @param summary the reference summary
 */
public record Document(String id, String document, String summary) {
    /** Checks nothing is null. */
    public Document {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(summary, "summary");
    }
}
