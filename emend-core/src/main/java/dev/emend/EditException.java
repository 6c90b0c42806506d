package dev.emend;

/** An edit could not be computed (NaN loss, singular system, subject not found); the model is unchanged. */
public class EditException extends EmendException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the edit failed and what to try
     */
    public EditException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message why the edit failed and what to try
     * @param cause the underlying failure
     */
    public EditException(String message, Throwable cause) {
        super(message, cause);
    }
}
