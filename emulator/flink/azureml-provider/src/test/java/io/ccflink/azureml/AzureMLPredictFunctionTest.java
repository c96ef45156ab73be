package io.ccflink.azureml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.types.logical.BooleanType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The function against an in-test HTTP server standing in for the model endpoint. */
class AzureMLPredictFunctionTest {
    private static final String KEY = "secret-key-123";
    private static final List<String> INPUTS = List.of("amt", "big", "tiny", "nan", "none", "n", "ok", "s", "s2");
    private static final List<LogicalType> INPUT_TYPES = List.of(new DoubleType(), new DoubleType(),
            new DoubleType(), new DoubleType(), new DoubleType(), new IntType(), new BooleanType(),
            VarCharType.STRING_TYPE, VarCharType.STRING_TYPE);
    private static final List<LogicalType> OUTPUT_TYPES = List.of(new IntType(), new DoubleType());
    // What pyflink_jobs/ml_formats.py's ModelCodec.encode sends for ROW below (made by it).
    private static final String PYTHON_BODY = "{\"input_data\":{\"index\":[0],\"columns\":[\"amt\",\"big\","
            + "\"tiny\",\"nan\",\"none\",\"n\",\"ok\",\"s\",\"s2\"],\"data\":[[68.5,1e+16,1e-05,null,null,7,"
            + "true,\"W\",\"é\\\"\\\\\\n\\u0001\"]]}}";
    private static final RowData ROW = GenericRowData.of(68.5, 1e16, 1e-5, Double.NaN, null, 7, true,
            StringData.fromString("W"), StringData.fromString("é\"\\\n\u0001"));

    private HttpServer server;
    private final Deque<Answer> answers = new ArrayDeque<>();
    private final List<Request> received = new ArrayList<>();

    private record Answer(int status, String body, Map<String, String> headers) {}

    private record Request(String body, String authorization, String contentType) {}

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/score", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Answer answer;
            synchronized (this) {
                received.add(new Request(body, exchange.getRequestHeaders().getFirst("Authorization"),
                        exchange.getRequestHeaders().getFirst("Content-Type")));
                answer = answers.isEmpty() ? new Answer(200, "[1, 0.8125]", Map.of()) : answers.poll();
            }
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private AzureMLPredictFunction function(int retries) throws Exception {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/score");
        EndpointClient.Endpoint endpoint = new EndpointClient.Endpoint(url, KEY,
                Map.of("Authorization", "Bearer " + KEY, "Content-Type", "application/json",
                        "Accept", "application/json"), Duration.ofSeconds(5), retries);
        ModelCodec codec = new ModelCodec(INPUTS, INPUT_TYPES, OUTPUT_TYPES, "AZUREML-PANDAS-DATAFRAME", "JSON-ARRAY");
        AzureMLPredictFunction function = new AzureMLPredictFunction("fraud_detection", endpoint, codec);
        function.open(new FunctionContext(null));
        return function;
    }

    @Test
    void sendsThePythonFunctionsBodyAndHeadersAndReadsTheAnswer() throws Exception {
        Collection<RowData> predicted = function(3).asyncPredict(ROW).join();

        assertEquals(List.of(GenericRowData.of(1, 0.8125)), List.copyOf(predicted));
        assertEquals(1, received.size());
        assertEquals(PYTHON_BODY, received.get(0).body());
        assertEquals("Bearer " + KEY, received.get(0).authorization());
        assertEquals("application/json", received.get(0).contentType());
    }

    @Test
    void retriesA503AfterItsRetryAfter() throws Exception {
        answers.add(new Answer(503, "busy", Map.of("Retry-After", "2")));

        Collection<RowData> predicted = function(3).asyncPredict(ROW).join();

        assertEquals(List.of(GenericRowData.of(1, 0.8125)), List.copyOf(predicted));
        assertEquals(2, received.size());
        assertEquals(received.get(0).body(), received.get(1).body());
    }

    @Test
    void failsOnANonRetryableAnswerWithTheKeyMasked() throws Exception {
        answers.add(new Answer(401, "bad key " + KEY, Map.of()));

        CompletionException thrown = assertThrows(
                CompletionException.class, () -> function(3).asyncPredict(ROW).join());

        PredictionException failure = assertInstanceOf(PredictionException.class, thrown.getCause());
        assertEquals("ML model runtime error: Received bad response code 401 message Unauthorized, "
                + "response: bad key *****", failure.getMessage());
        assertFalse(failure.getMessage().contains(KEY));
        assertEquals(1, received.size());
    }

    @Test
    void retryDelayHonoursRetryAfterWithinTwoToSixtySeconds() {
        assertEquals(2.0, EndpointClient.retryDelay("0", 0));
        assertEquals(7.0, EndpointClient.retryDelay("7", 0));
        assertEquals(60.0, EndpointClient.retryDelay("600", 0));
        assertEquals(8.0, EndpointClient.retryDelay("", 2));
    }

    @Test
    void floatsAreWrittenAsPythonsRepr() {
        assertEquals("1e+16", PythonJson.repr(1e16));
        assertEquals("1000000000000000.0", PythonJson.repr(1e15));
        assertEquals("0.0001", PythonJson.repr(1e-4));
        assertEquals("1e-05", PythonJson.repr(1e-5));
        assertEquals("5e-324", PythonJson.repr(Double.MIN_VALUE));
        assertEquals("2.82879384806159e+17", PythonJson.repr(2.82879384806159E17));
        assertEquals("-0.0", PythonJson.repr(-0.0));
    }
}
