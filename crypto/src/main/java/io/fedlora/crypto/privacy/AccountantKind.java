package io.fedlora.crypto.privacy;

import java.util.Locale;

/** Which accountant answers a question. */
public enum AccountantKind {
  /** {@link RdpAccountant}: fast, standard, slightly loose. */
  RDP,
  /** {@link PldAccountant} (numerical PRV/PLD composition): tighter, slower. */
  PRV;

  /** Parses "rdp", "prv" or "pld" (case-insensitive). */
  public static AccountantKind parse(String name) {
    if (name == null) {
      throw new InvalidPrivacyParameterException("accountant must be \"rdp\" or \"prv\", got null");
    }
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "rdp":
        return RDP;
      case "prv":
      case "pld":
        return PRV;
      default:
        throw new InvalidPrivacyParameterException(
            "accountant must be \"rdp\" or \"prv\", got \"" + name + "\"");
    }
  }

  /** An empty accountant of this kind with default settings. */
  public PrivacyAccountant newAccountant() {
    return this == RDP ? RdpAccountant.create() : PldAccountant.create();
  }
}
