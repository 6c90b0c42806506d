package dev.emend;

/** A configuration value is missing, unknown or out of range. */
public class ConfigException extends EmendException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the key, the value and the accepted range
     */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message the key, the value and the accepted range
     * @param cause the underlying failure
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
