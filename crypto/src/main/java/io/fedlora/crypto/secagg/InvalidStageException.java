package io.fedlora.crypto.secagg;

/** A message or call arrived in a stage that does not accept it. State is unchanged. */
public final class InvalidStageException extends SecAggException {
  private static final long serialVersionUID = 1L;
  private final String stage;
  private final String attempted;

  public InvalidStageException(String stage, String attempted) {
    super(attempted + " is not valid in stage " + stage);
    this.stage = stage;
    this.attempted = attempted;
  }

  public String stage() {
    return stage;
  }

  public String attempted() {
    return attempted;
  }
}
