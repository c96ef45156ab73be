package io.ccflink.azureml;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * POSTs to one model endpoint with the Python function's rule (pyflink_jobs/ml_predict.py's
 * EndpointClient): retries only on 429 and 503, waiting Retry-After (2-60 s) or 2, 4, 8 s;
 * any other answer fails with the API key masked. Asynchronous over kept-alive HTTP/1.1
 * connections: the caller keeps several requests in flight.
 */
final class EndpointClient {
    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(400, "Bad Request"), Map.entry(401, "Unauthorized"), Map.entry(403, "Forbidden"),
            Map.entry(404, "Not Found"), Map.entry(408, "Request Timeout"),
            Map.entry(413, "Request Entity Too Large"), Map.entry(424, "Failed Dependency"),
            Map.entry(429, "Too Many Requests"), Map.entry(500, "Internal Server Error"),
            Map.entry(502, "Bad Gateway"), Map.entry(503, "Service Unavailable"),
            Map.entry(504, "Gateway Timeout"));
    static final String MASK = "*****";

    private final String model;
    private final Endpoint endpoint;
    private final CallMetrics metrics;
    private final HttpClient http;

    EndpointClient(String model, Endpoint endpoint, CallMetrics metrics) {
        this.model = model;
        this.endpoint = endpoint;
        this.metrics = metrics;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(endpoint.timeout())
                .build();
    }

    /** Seconds before retry `attempt`: the answer's Retry-After (2-60 s), else 2, 4, 8... */
    static double retryDelay(String retryAfter, int attempt) {
        if (retryAfter != null && !retryAfter.isEmpty() && retryAfter.chars().allMatch(Character::isDigit)) {
            return Math.min(Math.max(Double.parseDouble(retryAfter), 2.0), 60.0);
        }
        return 2.0 * Math.pow(2, attempt);
    }

    /** The answer's body to a 200; fails with a {@link PredictionException} otherwise. */
    CompletableFuture<byte[]> post(byte[] body) {
        return attempt(body, 0);
    }

    private CompletableFuture<byte[]> attempt(byte[] body, int attempt) {
        metrics.requests.inc();
        long started = System.nanoTime();
        return send(body)
                .handle((response, error) -> answer(body, attempt, started, response, error))
                .thenCompose(next -> next);
    }

    /**
     * One POST, and once more on a new connection if the first could not be used: a kept-alive
     * connection the server closed while it sat in the pool is not an answer from the endpoint.
     */
    private CompletableFuture<HttpResponse<byte[]>> send(byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.url())
                .timeout(endpoint.timeout())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        endpoint.headers().forEach(request::header);
        HttpRequest built = request.build();
        return http.sendAsync(built, HttpResponse.BodyHandlers.ofByteArray())
                .exceptionallyCompose(error -> cause(error) instanceof IOException
                        && !(cause(error) instanceof HttpTimeoutException)
                        ? http.sendAsync(built, HttpResponse.BodyHandlers.ofByteArray())
                        : CompletableFuture.failedFuture(error));
    }

    private static Throwable cause(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private CompletableFuture<byte[]> answer(
            byte[] body, int attempt, long started, HttpResponse<byte[]> response, Throwable error) {
        if (error != null) {
            metrics.unreachable.inc();
            return CompletableFuture.failedFuture(new PredictionException("ML model runtime error: model `"
                    + model + "` endpoint " + endpoint.url() + " unreachable: " + cause(error).getClass().getSimpleName()));
        }
        metrics.took(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        int status = response.statusCode();
        if (status == 200) {
            return CompletableFuture.completedFuture(response.body());
        }
        metrics.failed(status);
        if ((status == 429 || status == 503) && attempt < endpoint.retryCount()) {
            metrics.retries.inc();
            double seconds = retryDelay(response.headers().firstValue("Retry-After").orElse(""), attempt);
            return CompletableFuture.supplyAsync(
                            () -> body,
                            CompletableFuture.delayedExecutor((long) (seconds * 1000), TimeUnit.MILLISECONDS))
                    .thenCompose(again -> attempt(again, attempt + 1));
        }
        String text = new String(response.body(), StandardCharsets.UTF_8);
        text = text.substring(0, Math.min(1024, text.length())).replace(endpoint.apiKey(), MASK);
        return CompletableFuture.failedFuture(new PredictionException(
                "ML model runtime error: Received bad response code " + status + " message "
                        + REASONS.getOrDefault(status, "") + ", response: " + text));
    }

    /** Where and how to call: the URL, key, headers, per-request timeout and retries. */
    record Endpoint(URI url, String apiKey, Map<String, String> headers, Duration timeout, int retryCount)
            implements Serializable {}
}
