package io.ccflink.azureml;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * {@code 'provider' = 'azureml'} for open-source Flink's own ML_PREDICT: a model on an Azure ML
 * online endpoint, called as the Python function calls it (same body bytes, headers, retries,
 * failure messages and metric names). The options are the Confluent model's {@code azureml.*}
 * ones with the endpoint and key given directly; Confluent's per-call {@code retry_count} is
 * {@code azureml.retry_count} here (Flink's ML_PREDICT map takes only its own keys).
 */
public final class AzureMLModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "azureml";

    static final ConfigOption<String> ENDPOINT = ConfigOptions.key("azureml.endpoint").stringType()
            .noDefaultValue().withDescription("The online endpoint's scoring URL.");
    static final ConfigOption<String> API_KEY = ConfigOptions.key("azureml.api_key").stringType()
            .noDefaultValue().withDescription("The endpoint's key, sent as a Bearer token.");
    static final ConfigOption<String> INPUT_FORMAT = ConfigOptions.key("azureml.input_format").stringType()
            .defaultValue("AZUREML-PANDAS-DATAFRAME").withDescription("AZUREML-PANDAS-DATAFRAME or PANDAS-DATAFRAME.");
    static final ConfigOption<String> OUTPUT_FORMAT = ConfigOptions.key("azureml.output_format").stringType()
            .defaultValue("JSON-ARRAY").withDescription("JSON-ARRAY, or JSON-ARRAY:field.");
    static final ConfigOption<String> INPUT_CONTENT_TYPE = ConfigOptions.key("azureml.input_content_type")
            .stringType().defaultValue("application/json").withDescription("The request's Content-Type.");
    static final ConfigOption<String> OUTPUT_CONTENT_TYPE = ConfigOptions.key("azureml.output_content_type")
            .stringType().defaultValue("application/json").withDescription("The request's Accept.");
    static final ConfigOption<String> DEPLOYMENT = ConfigOptions.key("azureml.deployment_name").stringType()
            .noDefaultValue().withDescription("Sent as azureml-model-deployment when set.");
    static final ConfigOption<Double> CLIENT_TIMEOUT = ConfigOptions.key("azureml.client_timeout").doubleType()
            .defaultValue(30.0).withDescription("Seconds per request.");
    static final ConfigOption<Integer> RETRY_COUNT = ConfigOptions.key("azureml.retry_count").intType()
            .defaultValue(3).withDescription("Retries on 429 and 503.");
    static final ConfigOption<String> TASK = ConfigOptions.key("task").stringType()
            .noDefaultValue().withDescription("Confluent's model task; not used by the call.");

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(ENDPOINT, API_KEY);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(INPUT_FORMAT, OUTPUT_FORMAT, INPUT_CONTENT_TYPE, OUTPUT_CONTENT_TYPE, DEPLOYMENT,
                CLIENT_TIMEOUT, RETRY_COUNT, TASK);
    }

    @Override
    public ModelProvider createModelProvider(ModelProviderFactory.Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        ReadableConfig options = helper.getOptions();
        String model = context.getObjectIdentifier().getObjectName();
        ResolvedSchema inputs = context.getCatalogModel().getResolvedInputSchema();
        ResolvedSchema outputs = context.getCatalogModel().getResolvedOutputSchema();
        ModelCodec codec;
        try {
            codec = new ModelCodec(inputs.getColumnNames(), types(inputs), types(outputs),
                    options.get(INPUT_FORMAT), options.get(OUTPUT_FORMAT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model `" + model + "`: " + e.getMessage(), e);
        }
        return new Provider(new AzureMLPredictFunction(model, endpoint(model, options), codec));
    }

    private static EndpointClient.Endpoint endpoint(String model, ReadableConfig options) {
        URI url;
        try {
            url = URI.create(options.get(ENDPOINT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "model `" + model + "`: 'azureml.endpoint' is not a URL: " + e.getMessage(), e);
        }
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new IllegalArgumentException(
                    "model `" + model + "`: 'azureml.endpoint' must be an http(s) URL, not " + url);
        }
        double seconds = options.get(CLIENT_TIMEOUT);
        int retries = options.get(RETRY_COUNT);
        if (!(seconds > 0) || retries < 0) {
            throw new IllegalArgumentException("model `" + model + "`: 'azureml.client_timeout' must be "
                    + "seconds above 0 and 'azureml.retry_count' 0 or more, not " + seconds + " and " + retries);
        }
        String key = options.get(API_KEY);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + key);
        headers.put("Content-Type", options.get(INPUT_CONTENT_TYPE));
        headers.put("Accept", options.get(OUTPUT_CONTENT_TYPE));
        options.getOptional(DEPLOYMENT).ifPresent(name -> headers.put("azureml-model-deployment", name));
        return new EndpointClient.Endpoint(
                url, key, headers, Duration.ofMillis((long) (seconds * 1000)), retries);
    }

    private static List<LogicalType> types(ResolvedSchema schema) {
        return schema.getColumns().stream().map(Column::getDataType).map(t -> t.getLogicalType()).toList();
    }

    /** The asynchronous function, the one way this provider predicts. */
    private static final class Provider implements AsyncPredictRuntimeProvider {
        private final AsyncPredictFunction function;

        Provider(AsyncPredictFunction function) {
            this.function = function;
        }

        @Override
        public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
            return function;
        }

        @Override
        public ModelProvider copy() {
            return new Provider(function);
        }
    }
}
