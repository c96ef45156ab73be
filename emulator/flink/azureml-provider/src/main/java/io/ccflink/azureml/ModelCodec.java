package io.ccflink.azureml;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.utils.LogicalTypeChecks;

/**
 * One model's wire format, as {@code pyflink_jobs/ml_formats.py} has it for one row per request:
 * a pandas split frame in (AZUREML-PANDAS-DATAFRAME, the default, or PANDAS-DATAFRAME) and a
 * JSON-ARRAY out (optionally {@code JSON-ARRAY:field}). The other formats are the Python
 * function's only: this prototype refuses them when the model is created.
 */
final class ModelCodec implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Map<String, String> PANDAS_KEYS =
            Map.of("AZUREMLPANDASDATAFRAME", "input_data", "PANDASDATAFRAME", "dataframe_split");
    private static final Set<LogicalTypeRoot> INPUT_TYPES = Set.of(
            LogicalTypeRoot.BOOLEAN, LogicalTypeRoot.TINYINT, LogicalTypeRoot.SMALLINT,
            LogicalTypeRoot.INTEGER, LogicalTypeRoot.BIGINT, LogicalTypeRoot.FLOAT,
            LogicalTypeRoot.DOUBLE, LogicalTypeRoot.DECIMAL, LogicalTypeRoot.CHAR,
            LogicalTypeRoot.VARCHAR, LogicalTypeRoot.BINARY, LogicalTypeRoot.VARBINARY,
            LogicalTypeRoot.DATE, LogicalTypeRoot.TIME_WITHOUT_TIME_ZONE);
    private static final Set<LogicalTypeRoot> OUTPUT_TYPES = Set.of(
            LogicalTypeRoot.BOOLEAN, LogicalTypeRoot.TINYINT, LogicalTypeRoot.SMALLINT,
            LogicalTypeRoot.INTEGER, LogicalTypeRoot.BIGINT, LogicalTypeRoot.FLOAT,
            LogicalTypeRoot.DOUBLE, LogicalTypeRoot.CHAR, LogicalTypeRoot.VARCHAR);

    private final List<LogicalType> inputTypes;
    private final List<LogicalType> outputTypes;
    private final String prefix; // the frame up to the row's values
    private final String outputWrapper; // JSON-ARRAY:field's field, or null

    ModelCodec(
            List<String> inputNames,
            List<LogicalType> inputTypes,
            List<LogicalType> outputTypes,
            String inputFormat,
            String outputFormat) {
        this.inputTypes = List.copyOf(inputTypes);
        this.outputTypes = List.copyOf(outputTypes);
        for (int i = 0; i < inputTypes.size(); i++) {
            if (!INPUT_TYPES.contains(inputTypes.get(i).getTypeRoot())) {
                throw new IllegalArgumentException("Unsupported type for model input: "
                        + inputTypes.get(i).asSummaryString() + " (column " + inputNames.get(i) + ")");
            }
        }
        for (LogicalType type : outputTypes) {
            if (!OUTPUT_TYPES.contains(type.getTypeRoot())) {
                throw new IllegalArgumentException("the JVM azureml provider cannot read model output type "
                        + type.asSummaryString() + "; supported: numbers, BOOLEAN, STRING");
            }
        }
        String pandasKey = PANDAS_KEYS.get(key(inputFormat));
        if (pandasKey == null) {
            throw new IllegalArgumentException("the JVM azureml provider sends only pandas frames: "
                    + "'azureml.input_format' = '" + inputFormat + "' is the Python function's; use "
                    + "AZUREML-PANDAS-DATAFRAME or PANDAS-DATAFRAME");
        }
        String[] output = outputFormat.split(":", 2);
        if (!key(output[0]).equals("JSONARRAY")) {
            throw new IllegalArgumentException("the JVM azureml provider reads only JSON-ARRAY answers, "
                    + "not 'azureml.output_format' = '" + outputFormat + "'");
        }
        this.outputWrapper = output.length > 1 ? output[1].strip() : null;
        StringBuilder start = new StringBuilder("{");
        PythonJson.writeString(start, pandasKey);
        start.append(":{\"index\":[0],\"columns\":[");
        for (int i = 0; i < inputNames.size(); i++) {
            if (i > 0) {
                start.append(',');
            }
            PythonJson.writeString(start, inputNames.get(i));
        }
        this.prefix = start.append("],\"data\":[[").toString();
    }

    /** Format names ignore case, '-', '_' and spaces, as ml_formats.py's do. */
    private static String key(String name) {
        return name.replaceAll("[-_\\s]", "").toUpperCase(Locale.ROOT);
    }

    /** The request body for one row: the same bytes as the Python function's. */
    byte[] encode(RowData row) {
        StringBuilder out = new StringBuilder(prefix.length() + 16 * inputTypes.size()).append(prefix);
        for (int i = 0; i < inputTypes.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            writeValue(out, row, i, inputTypes.get(i));
        }
        return out.append("]]}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void writeValue(StringBuilder out, RowData row, int i, LogicalType type) {
        if (row.isNullAt(i)) {
            out.append("null");
            return;
        }
        switch (type.getTypeRoot()) {
            case BOOLEAN -> out.append(row.getBoolean(i));
            case TINYINT -> out.append(row.getByte(i));
            case SMALLINT -> out.append(row.getShort(i));
            case INTEGER, DATE, TIME_WITHOUT_TIME_ZONE -> out.append(row.getInt(i));
            case BIGINT -> out.append(row.getLong(i));
            case FLOAT -> PythonJson.writeDouble(out, row.getFloat(i));
            case DOUBLE -> PythonJson.writeDouble(out, row.getDouble(i));
            case DECIMAL -> {
                int precision = LogicalTypeChecks.getPrecision(type);
                int scale = LogicalTypeChecks.getScale(type);
                DecimalData decimal = row.getDecimal(i, precision, scale);
                PythonJson.writeDouble(out, decimal.toBigDecimal().doubleValue());
            }
            case CHAR, VARCHAR -> PythonJson.writeString(out, row.getString(i).toString());
            case BINARY, VARBINARY -> PythonJson.writeString(out, Base64.getEncoder().encodeToString(row.getBinary(i)));
            default -> throw new IllegalStateException("refused when the model was created: " + type);
        }
    }

    /** The answer to one row as the model's OUTPUT columns, read as ml_formats.py reads it. */
    RowData decode(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = JsonReader.parse(text);
        } catch (IllegalArgumentException e) {
            throw new PredictionException("ML prediction response was not JSON: '"
                    + text.substring(0, Math.min(200, text.length())) + "'");
        }
        if (outputWrapper != null) {
            if (!(parsed instanceof Map<?, ?> map) || !map.containsKey(outputWrapper)) {
                throw new PredictionException("ML prediction response has no field '" + outputWrapper + "'");
            }
            parsed = map.get(outputWrapper);
        }
        if (!(parsed instanceof List<?> values)) {
            throw new PredictionException("ML prediction response was not a JSON array");
        }
        if (outputTypes.size() == 1 && values.size() == 1 && values.get(0) instanceof List<?> inner) {
            values = inner;
        }
        if (values.size() != outputTypes.size()) {
            throw new PredictionException("Unexpected number of results from ML Predict. Expected "
                    + outputTypes.size() + " but got " + values.size());
        }
        GenericRowData result = new GenericRowData(outputTypes.size());
        for (int i = 0; i < outputTypes.size(); i++) {
            result.setField(i, coerce(values.get(i), outputTypes.get(i)));
        }
        return result;
    }

    /** A JSON value as the Flink value of an OUTPUT column (ml_formats.py's coerce_output). */
    private static Object coerce(Object value, LogicalType type) {
        if (value == null) {
            return null;
        }
        try {
            switch (type.getTypeRoot()) {
                case TINYINT:
                case SMALLINT:
                case INTEGER:
                case BIGINT: {
                    BigInteger whole = whole(value);
                    if (whole != null) {
                        return narrow(whole, type.getTypeRoot());
                    }
                    break;
                }
                case FLOAT:
                case DOUBLE: {
                    Double number = value instanceof Double d ? d
                            : value instanceof BigInteger b ? Double.valueOf(b.doubleValue())
                            : value instanceof String s ? Double.valueOf(s.strip()) : null;
                    if (number != null) {
                        return type.getTypeRoot() == LogicalTypeRoot.FLOAT ? (Object) number.floatValue() : number;
                    }
                    break;
                }
                case BOOLEAN: {
                    if (value instanceof Boolean) {
                        return value;
                    }
                    if (value instanceof BigInteger b && b.bitLength() <= 1 && b.signum() >= 0) {
                        return b.signum() == 1;
                    }
                    if (value instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
                        return s.equalsIgnoreCase("true");
                    }
                    break;
                }
                default: {
                    if (value instanceof String s) {
                        return StringData.fromString(s);
                    }
                    StringBuilder json = new StringBuilder();
                    PythonJson.write(json, value);
                    return StringData.fromString(json.toString());
                }
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // falls through to the error below, as Python's ValueError does
        }
        StringBuilder shown = new StringBuilder();
        PythonJson.write(shown, value);
        throw new PredictionException(
                "ML Predict result " + shown + " cannot be read as " + type.asSummaryString());
    }

    private static BigInteger whole(Object value) {
        if (value instanceof Boolean b) {
            return b ? BigInteger.ONE : BigInteger.ZERO;
        }
        if (value instanceof BigInteger b) {
            return b;
        }
        if (value instanceof Double d && Double.isFinite(d) && d == Math.rint(d)) {
            return new BigDecimal(d).toBigIntegerExact();
        }
        if (value instanceof String s) {
            return new BigInteger(s.strip());
        }
        return null;
    }

    private static Object narrow(BigInteger whole, LogicalTypeRoot root) {
        return switch (root) {
            case TINYINT -> whole.byteValueExact();
            case SMALLINT -> whole.shortValueExact();
            case INTEGER -> whole.intValueExact();
            default -> whole.longValueExact();
        };
    }
}
