package dev.emend.edit.locate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Which token of a prompt stands for the fact (algorithms §1.2; EasyEdit's {@code fact_token}). */
public enum FactToken {
    /** The subject's last token (default everywhere). */
    SUBJECT_LAST("subject_last"),
    /** The subject's first token. */
    SUBJECT_FIRST("subject_first"),
    /** The first token after the subject, or its last token when nothing follows. */
    SUBJECT_FIRST_AFTER_LAST("subject_first_after_last"),
    /** The prompt's last token. */
    LAST("last");

    private final String key;

    FactToken(String key) {
        this.key = key;
    }

    /** @return the YAML spelling, e.g. "subject_last" */
    @JsonValue
    public String key() {
        return key;
    }

    /**
     * Parses the YAML spelling.
     *
     * @param key e.g. "subject_last"
     * @return the strategy
     * @throws IllegalArgumentException for unknown values, listing the accepted ones
     */
    @JsonCreator
    public static FactToken parse(String key) {
        for (FactToken f : values()) {
            if (f.key.equals(key)) {
                return f;
            }
        }
        throw new IllegalArgumentException("fact_token '%s' is not one of %s".formatted(key,
                Arrays.stream(values()).map(FactToken::key).collect(Collectors.joining(", "))));
    }
}
