package io.ccflink.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys' credentials file: one line per key, {@code <key> pbkdf2-sha256 <iterations>
 * <salt> <hash>} (base64), {@code #} comments; written by emulator/kafka/security.py.
 *
 * <p>It is read again whenever its identity (inode), modification time or size changes: the
 * writer replaces it atomically, so a change shows in the inode even within the clock's
 * resolution. A missing or malformed file lets no key in.
 */
final class CredentialsFile {
  private static final Logger LOG = LoggerFactory.getLogger(CredentialsFile.class);

  private final Path path;
  private List<String> readVersion = List.of(); // of the file `hashes` came from; none yet
  private Map<String, SecretHash> hashes = Map.of();

  CredentialsFile(Path path) {
    this.path = path;
  }

  /** Whether {@code secret} is the key's; as slow for an unknown key as for a known one. */
  boolean accepts(String key, char[] secret) throws IOException {
    SecretHash hash = current().get(key);
    boolean matches = Objects.requireNonNullElse(hash, SecretHash.UNKNOWN_KEY).matches(secret);
    return hash != null && matches;
  }

  private synchronized Map<String, SecretHash> current() throws IOException {
    List<String> seen = version(); // before reading: a change in between is read next time
    if (!Objects.equals(seen, readVersion)) {
      hashes = seen == null ? missing() : read();
      readVersion = seen;
    }
    return hashes;
  }

  private List<String> version() throws IOException {
    try {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      return List.of(
          String.valueOf(attributes.fileKey()),
          attributes.lastModifiedTime().toString(),
          Long.toString(attributes.size()));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private Map<String, SecretHash> missing() {
    LOG.warn("API keys: {} does not exist; refusing every key", path);
    return Map.of();
  }

  private Map<String, SecretHash> read() throws IOException {
    try {
      Map<String, SecretHash> parsed = parse(Files.readAllLines(path, StandardCharsets.UTF_8));
      LOG.info("API keys: {} key(s) from {}", parsed.size(), path);
      return parsed;
    } catch (NoSuchFileException e) {
      return missing();
    } catch (IllegalArgumentException e) {
      LOG.error("API keys: {}: {}; refusing every key", path, e.getMessage());
      return Map.of();
    }
  }

  /** The file's {key: hash}; IllegalArgumentException naming the first malformed line. */
  static Map<String, SecretHash> parse(List<String> lines) {
    Map<String, SecretHash> parsed = new HashMap<>();
    for (int number = 1; number <= lines.size(); number++) {
      String line = lines.get(number - 1).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split("\\s+");
      try {
        if (fields.length != 5 || !SecretHash.SCHEME.equals(fields[1])) {
          throw new IllegalArgumentException(
              "expected <key> " + SecretHash.SCHEME + " <iterations> <salt> <hash>");
        }
        parsed.put(fields[0], SecretHash.parse(fields[2], fields[3], fields[4]));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + number + ": " + e.getMessage(), e);
      }
    }
    return Map.copyOf(parsed);
  }
}
