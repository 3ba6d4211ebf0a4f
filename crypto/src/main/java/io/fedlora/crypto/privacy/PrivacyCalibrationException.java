package io.fedlora.crypto.privacy;

/** Noise calibration could not find a noise multiplier inside its supported range. */
public final class PrivacyCalibrationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PrivacyCalibrationException(String message) {
    super(message);
  }
}
