package dev.emend;

/** No model family is registered for a checkpoint's {@code model_type}. */
public class UnsupportedArchitectureException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the model type found and the supported ones
     */
    public UnsupportedArchitectureException(String message) {
        super(message);
    }
}
