package dev.emend.gguf;

import dev.emend.ModelLoadException;

/**
 * A GGUF file is malformed or holds something this reader cannot use: bad magic or version, a truncated header,
 * absurd counts, a metadata value of the wrong type, an unknown or unsupported tensor type, misaligned or
 * out-of-file tensor data. Messages name the file, the place (byte offset, key or tensor) and the remedy.
 */
public class GgufException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, in which file and where, and what to do
     */
    public GgufException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong, in which file and where, and what to do
     * @param cause the underlying failure
     */
    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
