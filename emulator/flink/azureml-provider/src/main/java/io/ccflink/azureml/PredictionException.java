package io.ccflink.azureml;

/** A model call that fails the statement, with the same words as the Python function's. */
public final class PredictionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PredictionException(String message) {
        super(message);
    }
}
