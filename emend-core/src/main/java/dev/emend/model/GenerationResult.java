package dev.emend.model;

/**
 * One generated continuation.
 *
 * @param promptIds the prompt's tokens
 * @param newIds the generated tokens (after a stop string: up to and including the token that completed it)
 * @param text the decoded continuation, special tokens removed, cut before a stop string
 * @param stop why generation ended
 */
public record GenerationResult(int[] promptIds, int[] newIds, String text, StopReason stop) {
    /** Why a row stopped. */
    public enum StopReason {
        /** Reached max new tokens. */
        LENGTH,
        /** Produced an EOS token. */
        EOS,
        /** Its text contains a stop string. */
        STOP_STRING
    }
}
