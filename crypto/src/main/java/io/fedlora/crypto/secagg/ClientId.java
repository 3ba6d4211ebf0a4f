package io.fedlora.crypto.secagg;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/** A client's identifier in a round (the node id from enrollment): 1–128 chars of [A-Za-z0-9._:@-]. */
public record ClientId(String value) implements Comparable<ClientId> {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

  public ClientId {
    Objects.requireNonNull(value, "value");
    if (!VALID.matcher(value).matches()) {
      throw new IllegalArgumentException("client id must be 1-128 chars of [A-Za-z0-9._:@-]");
    }
  }

  public static ClientId of(String value) {
    return new ClientId(value);
  }

  byte[] utf8() {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public int compareTo(ClientId o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
