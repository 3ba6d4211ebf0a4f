package io.fedlora.crypto.secagg;

/**
 * Base of every SecAgg protocol error. Messages name stages, message types and client ids, never
 * keys, seeds, shares or inputs.
 */
public abstract class SecAggException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected SecAggException(String message) {
    super(message);
  }

  protected SecAggException(String message, Throwable cause) {
    super(message, cause);
  }
}
