package io.ccflink.azureml;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

/**
 * ML_PREDICT for one Azure ML model, one row per request as Confluent sends it. Flink's async
 * operator keeps up to `max-concurrent-operations` calls in flight per subtask; each is one
 * POST on the client's kept-alive connections.
 */
public final class AzureMLPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;

    private final String model;
    private final EndpointClient.Endpoint endpoint;
    private final ModelCodec codec;
    private transient EndpointClient client;

    AzureMLPredictFunction(String model, EndpointClient.Endpoint endpoint, ModelCodec codec) {
        this.model = model;
        this.endpoint = endpoint;
        this.codec = codec;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        client = new EndpointClient(model, endpoint, new CallMetrics(context.getMetricGroup(), model));
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData features) {
        return client.post(codec.encode(features)).thenApply(body -> List.of(codec.decode(body)));
    }
}
