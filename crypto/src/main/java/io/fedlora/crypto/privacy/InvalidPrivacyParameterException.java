package io.fedlora.crypto.privacy;

/**
 * A privacy parameter (noise multiplier, sampling rate, delta, epsilon, step count, ...) is outside
 * its domain. The message names the parameter and the rejected value; it never carries secrets.
 *
 * <p>Extends {@link IllegalArgumentException} so that callers that only know the JDK type still
 * treat it as a bad argument.
 */
public final class InvalidPrivacyParameterException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidPrivacyParameterException(String message) {
    super(message);
  }
}
