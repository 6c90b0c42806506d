package dev.emend.tensor;

import dev.emend.ModelLoadException;

/** A safetensors file is malformed: bad header length, bad JSON, bad dtype, shape or offsets. */
public class SafeTensorsException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, in which file and tensor, and what to do
     */
    public SafeTensorsException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong, in which file and tensor, and what to do
     * @param cause the underlying failure
     */
    public SafeTensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
