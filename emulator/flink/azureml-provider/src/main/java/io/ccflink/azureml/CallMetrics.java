package io.ccflink.azureml;

import java.util.HashMap;
import java.util.Map;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * The counters the Python function registers, under the same names (group {@code ml_predict},
 * then the model's name), so {@code ccflink flink statement describe} reads either path's.
 * Thread-safe: answers arrive on the HTTP client's threads.
 */
final class CallMetrics {
    static final String GROUP = "ml_predict";
    // As pyflink_jobs/ml_predict.py's COUNTED_STATUSES.
    private static final int[] COUNTED_STATUSES = {400, 401, 403, 404, 408, 413, 424, 429, 500, 502, 503, 504};

    final Counter requests;
    final Counter retries;
    final Counter unreachable;
    private final Map<Integer, Counter> failures = new HashMap<>();
    private final Counter otherFailures;
    private final Latency latency = new Latency();

    CallMetrics(MetricGroup parent, String model) {
        MetricGroup group = parent.addGroup(GROUP, model);
        requests = group.counter("requests", new ThreadSafeSimpleCounter());
        retries = group.counter("retries", new ThreadSafeSimpleCounter());
        unreachable = group.counter("failures_unreachable", new ThreadSafeSimpleCounter());
        for (int status : COUNTED_STATUSES) {
            failures.put(status, group.counter("failures_" + status, new ThreadSafeSimpleCounter()));
        }
        otherFailures = group.counter("failures_other", new ThreadSafeSimpleCounter());
        group.gauge("latency_ms", latency::summary);
    }

    void failed(int status) {
        failures.getOrDefault(status, otherFailures).inc();
    }

    void took(long millis) {
        latency.update(millis);
    }

    /** Request latencies shown as PyFlink shows a distribution: count, sum, min, max. */
    private static final class Latency {
        private long count;
        private long sum;
        private long min = Long.MAX_VALUE;
        private long max;

        synchronized void update(long millis) {
            count++;
            sum += millis;
            min = Math.min(min, millis);
            max = Math.max(max, millis);
        }

        synchronized String summary() {
            return "count=" + count + ", sum=" + sum + ", min=" + (count == 0 ? 0 : min) + ", max=" + max;
        }
    }
}
