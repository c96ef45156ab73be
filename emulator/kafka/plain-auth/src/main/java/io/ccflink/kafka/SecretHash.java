package io.ccflink.kafka;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A secret as the credentials file keeps it: PBKDF2-HMAC-SHA256 with a random salt, the same
 * computation as {@code SecretHash} in emulator/kafka/security.py.
 */
record SecretHash(int iterations, byte[] salt, byte[] digest) {
  static final String SCHEME = "pbkdf2-sha256";
  private static final int DIGEST_BYTES = 32;

  /** Compared against when the key is unknown, so that both refusals take as long. */
  static final SecretHash UNKNOWN_KEY = new SecretHash(4096, new byte[16], new byte[DIGEST_BYTES]);

  static SecretHash parse(String iterations, String salt, String digest) {
    int count = Integer.parseInt(iterations);
    Base64.Decoder base64 = Base64.getDecoder();
    SecretHash hash = new SecretHash(count, base64.decode(salt), base64.decode(digest));
    if (count < 1 || hash.salt.length == 0 || hash.digest.length != DIGEST_BYTES) {
      throw new IllegalArgumentException("iterations, salt or hash out of range");
    }
    return hash;
  }

  /** Whether {@code secret} hashes to this digest, compared in constant time. */
  boolean matches(char[] secret) {
    return MessageDigest.isEqual(derive(secret), digest);
  }

  private byte[] derive(char[] secret) {
    PBEKeySpec spec = new PBEKeySpec(secret, salt, iterations, digest.length * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no PBKDF2WithHmacSHA256", e);
    } finally {
      spec.clearPassword();
    }
  }
}
