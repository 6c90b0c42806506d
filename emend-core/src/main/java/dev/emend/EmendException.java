package dev.emend;

/**
 * Base of every exception Emend throws on purpose. Messages name the offending value and say what to do next.
 */
public class EmendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong, with the value and the remedy
     */
    public EmendException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message what went wrong, with the value and the remedy
     * @param cause the underlying failure
     */
    public EmendException(String message, Throwable cause) {
        super(message, cause);
    }
}
