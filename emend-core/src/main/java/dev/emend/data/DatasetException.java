package dev.emend.data;

import dev.emend.EmendException;

/** A data file cannot be read: not JSON, an unknown format, or a record of the wrong shape (named by its index). */
public class DatasetException extends EmendException {
    private static final long serialVersionUID = 1L;

    /** @param message the file, the record and what is wrong with it */
    public DatasetException(String message) {
        super(message);
    }

    /**
     * @param message the file, the record and what is wrong with it
     * @param cause the underlying failure
     */
    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
