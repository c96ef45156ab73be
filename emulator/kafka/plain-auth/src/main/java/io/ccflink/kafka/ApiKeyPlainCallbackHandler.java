package io.ccflink.kafka;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;

/**
 * SASL/PLAIN for ccflink's API keys, as Confluent Cloud clients log in: the username is the key,
 * the password its secret, checked against the credentials file that `ccflink api-key` keeps
 * (emulator/kafka/security.py).
 *
 * <p>Kafka's own PLAIN handler takes its users from the JAAS configuration, fixed until the
 * broker restarts. This one re-reads the file when it changes, so a key created or deleted while
 * the broker runs is accepted or refused from the next login on.
 *
 * <p>Configured on the SASL listener with {@code
 * listener.name.<listener>.plain.sasl.server.callback.handler.class} and, in the same listener's
 * PLAIN JAAS entry, the option {@value #FILE_OPTION} naming the file.
 */
public final class ApiKeyPlainCallbackHandler implements AuthenticateCallbackHandler {
  /** The JAAS option (of PlainLoginModule on the listener) naming the credentials file. */
  public static final String FILE_OPTION = "ccflink.credentials.file";

  private CredentialsFile credentials;

  @Override
  public void configure(
      Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaasEntries) {
    if (!"PLAIN".equals(mechanism)) {
      throw new ConfigException(getClass().getName() + " handles PLAIN only, not " + mechanism);
    }
    credentials = new CredentialsFile(Path.of(fileOption(jaasEntries)));
  }

  private static String fileOption(List<AppConfigurationEntry> jaasEntries) {
    for (AppConfigurationEntry entry : jaasEntries) {
      if (entry.getOptions().get(FILE_OPTION) instanceof String path && !path.isEmpty()) {
        return path;
      }
    }
    throw new ConfigException("the PLAIN JAAS entry needs the option " + FILE_OPTION);
  }

  @Override
  public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
    String key = null;
    for (Callback callback : callbacks) {
      if (callback instanceof NameCallback name) {
        key = name.getDefaultName();
      } else if (callback instanceof PlainAuthenticateCallback plain) {
        plain.authenticated(key != null && credentials.accepts(key, plain.password()));
      } else {
        throw new UnsupportedCallbackException(callback);
      }
    }
  }

  @Override
  public void close() {}
}
